/**
 * The npm package's version, which the Python widget model asks for as
 * `^VERSION`. A unit test keeps it equal to package.json's.
 */
export const VERSION = '0.1.0';
