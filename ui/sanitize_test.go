package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello world", "hello world"},
		{"utf8", "déjà vu ✓", "déjà vu ✓"},
		{"keeps colour, adds reset", "\x1b[31mred\x1b[0m ok", "\x1b[31mred\x1b[0m ok\x1b[0m"},
		{"keeps 256 colour", "\x1b[38;5;196mX", "\x1b[38;5;196mX\x1b[0m"},
		{"keeps truecolor with colons", "\x1b[38:2::1:2:3mX", "\x1b[38:2::1:2:3mX\x1b[0m"},
		{"cursor up", "a\x1b[1Ab", "ab"},
		{"cursor position", "\x1b[10;20Hboom", "boom"},
		{"clear screen", "\x1b[2J\x1b[Hclean", "clean"},
		{"erase line", "x\x1b[Ky", "xy"},
		{"private mode alt screen", "\x1b[?1049hhidden", "hidden"},
		{"private SGR-like is not SGR", "\x1b[?25mX", "X"},
		{"window title BEL", "\x1b]0;pwned\x07after", "after"},
		{"window title ST", "\x1b]2;pwned\x1b\\after", "after"},
		{"osc 52 clipboard", "\x1b]52;c;ZWNobyBwd25lZA==\x07x", "x"},
		{"osc 8 hyperlink", "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"dcs", "\x1bPq#0;2;0;0;0\x1b\\y", "y"},
		{"apc", "\x1b_Gf=100;AAAA\x1b\\z", "z"},
		{"pm", "\x1b^secret\x1b\\z", "z"},
		{"sos", "\x1bXsecret\x1b\\z", "z"},
		{"unterminated osc eats line", "ok\x1b]0;title never ends", "ok"},
		{"osc aborted by new escape", "\x1b]0;t\x1b[31mred", "\x1b[31mred\x1b[0m"},
		{"esc c reset", "\x1bcX", "X"},
		{"esc charset", "\x1b(0lqk\x1b(B", "lqk"},
		{"esc keypad", "\x1b=\x1b>Y", "Y"},
		{"lone esc at end", "abc\x1b", "abc"},
		{"bell", "ding\x07dong", "dingdong"},
		{"backspace overwrite", "pass\b\b\b\bxxxx", "passxxxx"},
		{"carriage return", "50%\r100%", "50%100%"},
		{"nul and del", "a\x00b\x7fc", "abc"},
		{"c1 csi", "a\u009b2Jb", "ab"},
		{"c1 osc", "a\u009d0;t\u009cb", "ab"},
		{"c1 other", "a\u0085b\u0084c", "abc"},
		{"tab expands", "a\tb", "a       b"},
		{"tab stop", "abcdefgh\tX", "abcdefgh        X"},
		{"tab after colour counts visible", "\x1b[1mab\tc", "\x1b[1mab      c\x1b[0m"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"overlong sgr dropped", "\x1b[" + strings.Repeat("1;", 40) + "mX", "X"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sanitize(tt.in)
			if got != tt.want {
				t.Fatalf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			// Whatever came in, nothing but SGR may come out.
			rest := ansi.Strip(got)
			for _, r := range rest {
				if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
					t.Fatalf("control %U survived in %q", r, got)
				}
			}
		})
	}
}

func TestSanitizeCleanLineDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("collectstatic: copied file ", 10)
	if n := testing.AllocsPerRun(100, func() { _ = Sanitize(s) }); n != 0 {
		t.Fatalf("clean line allocated %v times", n)
	}
}

// FuzzSanitize checks that no input leaves a control character or a
// non-SGR escape in the output, and that Sanitize never panics.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"\x1b]52;c;AAAA\x07", "\x1b[31mx", "\u009b1;1H", "a\tb\x1bP\x1b\\", "\x1b[", "\x1b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Sanitize(in)
		for i := 0; i < len(out); i++ {
			c := out[i]
			if c == 0x1b {
				n, sgr := escape(out[i:])
				if !sgr {
					t.Fatalf("non-SGR escape in %q (from %q)", out, in)
				}
				i += n - 1
				continue
			}
			if c < 0x20 || c == 0x7f {
				t.Fatalf("control %#x in %q (from %q)", c, out, in)
			}
		}
		if Sanitize(out) != out && !strings.HasSuffix(out, "\x1b[0m") {
			t.Fatalf("not idempotent: %q", out)
		}
	})
}

func BenchmarkSanitize(b *testing.B) {
	clean := strings.Repeat("Applying auth.0012_alter_user_first_name_max_length... OK ", 2)
	dirty := "\x1b[32m" + clean + "\x1b[0m\x1b[2K\r\t" + clean
	b.Run("clean", func(b *testing.B) {
		b.SetBytes(int64(len(clean)))
		for i := 0; i < b.N; i++ {
			_ = Sanitize(clean)
		}
	})
	b.Run("dirty", func(b *testing.B) {
		b.SetBytes(int64(len(dirty)))
		for i := 0; i < b.N; i++ {
			_ = Sanitize(dirty)
		}
	})
}
