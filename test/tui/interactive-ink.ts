// Imported first by the Ink tests: Ink reads the CI variable when it is loaded and, under CI, renders only the
// final frame, so frame-by-frame assertions would see nothing. These tests drive an interactive UI.
process.env.CI = 'false';
