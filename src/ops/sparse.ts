// (in progress)
export {};
