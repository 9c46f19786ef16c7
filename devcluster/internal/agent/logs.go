package agent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// Container logs are stored in the CRI format used by kubelet:
//
//	<RFC3339Nano timestamp> <stdout|stderr> <F|P> <content>\n
//
// F marks the end of a line, P a partial line (a line longer than maxRecord,
// or a last line without newline). Each record is written with one write(2).

const maxRecord = 1 << 20 // bytes of content per record; longer lines are split in P records

type logFile struct {
	path   string
	mu     sync.Mutex
	f      *os.File
	closed bool
	notify chan struct{} // closed and replaced on every write and on close
}

func newLogFile(path string) (*logFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, err
	}
	return &logFile{path: path, f: f, notify: make(chan struct{})}, nil
}

// closedLogFile represents a log file that is complete (no writer).
func closedLogFile(path string) *logFile {
	return &logFile{path: path, closed: true, notify: make(chan struct{})}
}

func (l *logFile) write(ts time.Time, stream string, partial bool, content []byte) {
	tag := "F"
	if partial {
		tag = "P"
	}
	buf := make([]byte, 0, len(content)+64)
	buf = ts.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, ' ')
	buf = append(buf, stream...)
	buf = append(buf, ' ')
	buf = append(buf, tag...)
	buf = append(buf, ' ')
	buf = append(buf, content...)
	buf = append(buf, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Write(buf)
	}
	close(l.notify)
	l.notify = make(chan struct{})
}

func (l *logFile) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	if l.f != nil {
		l.f.Close()
	}
	close(l.notify)
	l.notify = make(chan struct{})
}

func (l *logFile) state() (<-chan struct{}, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.notify, l.closed
}

// pump copies one stream (stdout or stderr) of a process into the log.
func (l *logFile) pump(r io.Reader, stream string, done func()) {
	defer done()
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	var ts time.Time
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if len(line) == 0 {
				ts = time.Now()
			}
			line = append(line, chunk...)
			if line[len(line)-1] == '\n' {
				l.write(ts, stream, false, line[:len(line)-1])
				line = line[:0]
			} else if len(line) >= maxRecord {
				l.write(ts, stream, true, line)
				line = line[:0]
			}
		}
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if len(line) > 0 {
				l.write(ts, stream, true, line)
			}
			return
		}
		if cap(line) > 4*maxRecord {
			line = nil
		}
	}
}

type logRecord struct {
	ts      time.Time
	stream  string
	partial bool
	content []byte
}

func parseRecord(b []byte) (logRecord, bool) {
	// b has no trailing newline
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return logRecord{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(b[:i]))
	if err != nil {
		return logRecord{}, false
	}
	rest := b[i+1:]
	j := bytes.IndexByte(rest, ' ')
	if j < 0 {
		return logRecord{}, false
	}
	stream := string(rest[:j])
	rest = rest[j+1:]
	if len(rest) < 1 {
		return logRecord{}, false
	}
	partial := rest[0] == 'P'
	content := rest[1:]
	if len(content) > 0 && content[0] == ' ' {
		content = content[1:]
	}
	return logRecord{ts: ts, stream: stream, partial: partial, content: content}, true
}

type logOptions struct {
	follow     bool
	timestamps bool
	tailLines  int64 // <0: all
	sinceTime  *time.Time
	limitBytes int64 // <=0: unlimited
}

func parseLogOptions(r *http.Request) (logOptions, error) {
	q := r.URL.Query()
	o := logOptions{tailLines: -1}
	o.follow, _ = strconv.ParseBool(q.Get("follow"))
	o.timestamps, _ = strconv.ParseBool(q.Get("timestamps"))
	if s := q.Get("tailLines"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return o, err
		}
		o.tailLines = n
	}
	if s := q.Get("limitBytes"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return o, err
		}
		o.limitBytes = n
	}
	if s := q.Get("sinceTime"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return o, err
		}
		o.sinceTime = &t
	} else if s := q.Get("sinceSeconds"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return o, err
		}
		t := time.Now().Add(-time.Duration(n) * time.Second)
		o.sinceTime = &t
	}
	return o, nil
}

// lineReader yields complete records of a growing log file.
type lineReader struct {
	f       *os.File
	pending []byte
	buf     []byte
	eof     bool
}

func (lr *lineReader) next() ([]byte, bool) {
	for {
		if i := bytes.IndexByte(lr.pending, '\n'); i >= 0 {
			rec := lr.pending[:i]
			lr.pending = lr.pending[i+1:]
			return rec, true
		}
		if lr.buf == nil {
			lr.buf = make([]byte, 256<<10)
		}
		n, err := lr.f.Read(lr.buf)
		if n > 0 {
			// compact pending before appending
			if len(lr.pending) == 0 {
				lr.pending = append(lr.pending[:0:0], lr.buf[:n]...)
			} else {
				lr.pending = append(lr.pending, lr.buf[:n]...)
			}
			continue
		}
		if err != nil || n == 0 {
			return nil, false
		}
	}
}

// tailOffset returns the byte offset where the last n lines (F-terminated) start.
func tailOffset(path string, n int64) int64 {
	if n < 0 {
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var starts []int64 // ring of line start offsets
	var off, lineStart int64
	inLine := false
	br := bufio.NewReaderSize(f, 256<<10)
	for {
		rec, err := br.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) {
			var more []byte
			more, err = br.ReadSlice('\n')
			rec = append(append([]byte(nil), rec...), more...)
		}
		if err != nil {
			break
		}
		if !inLine {
			lineStart = off
			inLine = true
		}
		off += int64(len(rec))
		if r, ok := parseRecord(rec[:len(rec)-1]); ok && !r.partial {
			inLine = false
			starts = append(starts, lineStart)
			if int64(len(starts)) > n {
				starts = starts[1:]
			}
		}
	}
	if n == 0 {
		return off
	}
	if inLine { // a last line without newline counts as a line
		starts = append(starts, lineStart)
		if int64(len(starts)) > n {
			starts = starts[1:]
		}
	}
	if len(starts) == 0 {
		return off
	}
	return starts[0]
}

// stream writes the log to w per the options until the end of the log (or,
// following, until the writer closes the log or ctx ends).
func (l *logFile) stream(ctx context.Context, w io.Writer, flush func(), o logOptions) error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if o.tailLines >= 0 {
		if _, err := f.Seek(tailOffset(l.path, o.tailLines), io.SeekStart); err != nil {
			return err
		}
	}
	lr := &lineReader{f: f}
	var written int64
	var partial []byte
	var partialTS time.Time
	out := func(ts time.Time, content []byte, newline bool) error {
		if o.sinceTime != nil && ts.Before(*o.sinceTime) {
			return nil
		}
		var b []byte
		if o.timestamps {
			b = ts.UTC().AppendFormat(b, time.RFC3339Nano)
			b = append(b, ' ')
		}
		b = append(b, content...)
		if newline {
			b = append(b, '\n')
		}
		if o.limitBytes > 0 && written+int64(len(b)) > o.limitBytes {
			b = b[:o.limitBytes-written]
		}
		n, err := w.Write(b)
		written += int64(n)
		if err != nil {
			return err
		}
		if o.limitBytes > 0 && written >= o.limitBytes {
			return io.EOF
		}
		return nil
	}
	for {
		notify, closed := l.state()
		progressed := false
		for {
			rec, ok := lr.next()
			if !ok {
				break
			}
			progressed = true
			r, ok := parseRecord(rec)
			if !ok {
				continue
			}
			if r.partial {
				if len(partial) == 0 {
					partialTS = r.ts
				}
				partial = append(partial, r.content...)
				continue
			}
			ts := r.ts
			content := r.content
			if len(partial) > 0 {
				ts = partialTS
				content = append(partial, content...)
				partial = partial[:0]
			}
			if err := out(ts, content, true); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
		if progressed && flush != nil {
			flush()
		}
		if closed {
			// one more read: everything written before close is now in the file
			if _, ok := lr.peekMore(); ok {
				continue
			}
			if len(partial) > 0 {
				if err := out(partialTS, partial, false); err != nil && !errors.Is(err, io.EOF) {
					return err
				}
			}
			return nil
		}
		if !o.follow {
			if len(partial) > 0 {
				out(partialTS, partial, false)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-notify:
		case <-time.After(2 * time.Second):
		}
	}
}

// peekMore reads whatever is left; it reports whether a complete record is pending.
func (lr *lineReader) peekMore() (int, bool) {
	if lr.buf == nil {
		lr.buf = make([]byte, 256<<10)
	}
	total := 0
	for {
		n, _ := lr.f.Read(lr.buf)
		if n <= 0 {
			break
		}
		total += n
		lr.pending = append(lr.pending, lr.buf[:n]...)
	}
	return total, bytes.IndexByte(lr.pending, '\n') >= 0
}
