#include "common.h"
namespace dt { void registerPool(napi_env, napi_value) {} }
