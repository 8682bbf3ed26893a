package sshexec

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSudoRefusalIsTyped: when sudo refuses to start a job for want of a
// good password, Run's error wraps ErrSudoNeedsPassword (no password
// given) or ErrSudoPasswordRejected (a wrong one), so that the TUI can
// offer to ask for it; the message keeps the words plain mode relies on.
// A job that starts, and a refusal for another reason, wrap neither.
func TestSudoRefusalIsTyped(t *testing.T) {
	fakeSudo(t, true)
	r, _ := sudoLocal(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(pw string) error {
		var spw []byte
		if pw != "" {
			spw = []byte(pw)
		}
		_, err := r.Run(ctx, Spec{JobID: jobID(t), Script: "echo ran", Sudo: true, SudoPassword: spw}, make(chan []Line, 16))
		return err
	}
	err := run("")
	if !errors.Is(err, ErrSudoNeedsPassword) || errors.Is(err, ErrSudoPasswordRejected) {
		t.Errorf("no password: %v does not wrap ErrSudoNeedsPassword alone", err)
	}
	if err == nil || !strings.Contains(err.Error(), ErrSudoNeedsPassword.Error()) || !strings.Contains(err.Error(), "press P") ||
		!strings.Contains(err.Error(), "--sudo-password") {
		t.Errorf("no password: message %v lacks the sentinel's text or what to do", err)
	}
	err = run("wrong")
	if !errors.Is(err, ErrSudoPasswordRejected) || errors.Is(err, ErrSudoNeedsPassword) {
		t.Errorf("wrong password: %v does not wrap ErrSudoPasswordRejected alone", err)
	}
	if err == nil || !strings.Contains(err.Error(), ErrSudoPasswordRejected.Error()) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: message %v lacks the sentinel's text, or shows the password", err)
	}
	if err := run(testPassword); err != nil {
		t.Errorf("right password: %v", err)
	}
	for _, msg := range []string{"sudo: command not found", "user is not in the sudoers file", ""} {
		if err := sudoPasswordErr(msg); err != nil {
			t.Errorf("sudo said %q: %v, want no password error", msg, err)
		}
		if err := startFailed("job x", msg); errors.Is(err, ErrSudoNeedsPassword) || errors.Is(err, ErrSudoPasswordRejected) {
			t.Errorf("sudo said %q: %v wraps a password error", msg, err)
		}
	}
}
