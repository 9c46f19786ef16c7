package agent

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeLog(t *testing.T, input string) *logFile {
	t.Helper()
	lf, err := newLogFile(filepath.Join(t.TempDir(), "c.log"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	lf.pump(strings.NewReader(input), "stdout", func() { close(done) })
	<-done
	lf.close()
	return lf
}

func read(t *testing.T, lf *logFile, o logOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := lf.stream(context.Background(), &b, nil, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestLogRoundTrip(t *testing.T) {
	big := strings.Repeat("y", 3*maxRecord+17) // split into P records, joined on read
	in := "one\n\ntwo with spaces  \n" + big + "\nlast without newline"
	lf := writeLog(t, in)
	if got := read(t, lf, logOptions{tailLines: -1}); got != in {
		t.Fatalf("round trip differs: got %d bytes, want %d", len(got), len(in))
	}
	if got := read(t, lf, logOptions{tailLines: 2}); got != big+"\nlast without newline" {
		t.Fatalf("tail 2: %q...", got[:min(len(got), 40)])
	}
	if got := read(t, lf, logOptions{tailLines: 0}); got != "" {
		t.Fatalf("tail 0: %q", got)
	}
	if got := read(t, lf, logOptions{tailLines: -1, limitBytes: 5}); got != "one\n\n" {
		t.Fatalf("limitBytes 5: %q", got)
	}
	ts := read(t, lf, logOptions{tailLines: 1, timestamps: true})
	stamp, rest, _ := strings.Cut(ts, " ")
	if _, err := time.Parse(time.RFC3339Nano, stamp); err != nil || rest != "last without newline" {
		t.Fatalf("timestamps: %q", ts)
	}
	future := time.Now().Add(time.Hour)
	if got := read(t, lf, logOptions{tailLines: -1, sinceTime: &future}); got != "" {
		t.Fatalf("sinceTime: %q", got)
	}
}

func TestLogFollowStreamsAndEnds(t *testing.T) {
	lf, err := newLogFile(filepath.Join(t.TempDir(), "c.log"))
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go lf.pump(pr, "stdout", func() { lf.close() })
	out := make(chan string, 100)
	r, w := io.Pipe()
	go func() {
		lf.stream(context.Background(), w, nil, logOptions{tailLines: -1, follow: true})
		w.Close()
	}()
	go func() {
		buf := make([]byte, 1<<16)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				out <- string(buf[:n])
			}
			if err != nil {
				close(out)
				return
			}
		}
	}()
	for i := 0; i < 3; i++ {
		line := strings.Repeat("z", i) + "\n"
		pw.Write([]byte(line))
		select {
		case got := <-out:
			if got != line {
				t.Fatalf("got %q want %q", got, line)
			}
		case <-time.After(3 * time.Second):
			t.Fatalf("line %d not streamed", i)
		}
	}
	pw.Close()
	select {
	case _, ok := <-out:
		if ok {
			t.Fatal("unexpected output after close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("follow did not end after the log closed")
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "x", "B": "$(A)"}
	for in, want := range map[string]string{
		"$(A)":      "x",
		"$$(A)":     "$(A)",
		"$(C)":      "$(C)",
		"a$(A)b$":   "axb$",
		"$(B)":      "$(A)",
		"$(A":       "$(A",
		"no vars":   "no vars",
		"$A $(A)$$": "$A x$",
	} {
		if got := expand(in, env); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}
