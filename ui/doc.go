// Package ui is golive's face: the Bubble Tea models that walk an operator
// through a release (choose a runbook, fill its variables, connect, run each
// step with live output, sign off, export the transcript), the release
// orchestration they share with plain mode, and the terminal hygiene that
// keeps a hostile server's output from reaching the terminal.
//
// It is the only package that imports both runbook and sshexec. The Session
// (runbook) decides what is legal; sshexec runs commands; ui journals every
// event before showing it and never blocks in Update or View.
package ui
