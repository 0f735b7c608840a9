// `deepten play dqn --checkpoint PATH`: runs a trained agent (in progress).
import { UsageError } from './args.ts';

export async function play(_argv: string[]): Promise<number> {
  throw new UsageError('play: not implemented yet');
}
