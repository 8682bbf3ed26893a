package ui

import "golive/sshexec"

// The connect screen answers sshexec's questions; these names keep the ui
// API readable for callers that build Options.Connect.
type (
	// Prompter is sshexec.Prompter: the UI implements it.
	Prompter = sshexec.Prompter
	// HostKeyQuestion is sshexec.HostKeyQuestion.
	HostKeyQuestion = sshexec.HostKeyQuestion
	// PassphraseQuestion is sshexec.PassphraseQuestion.
	PassphraseQuestion = sshexec.PassphraseQuestion
)
