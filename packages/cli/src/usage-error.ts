/**
 * A mistake the user can fix before anything runs — a bad option, a missing file, a graph that
 * cannot be loaded or is invalid, an --input that is not a JSON object. Printed without a stack;
 * exit code 2. A run that fails is not a UsageError (exit 1).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
