package cluster

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Env is the shell-sourceable $(STATE_DIR)/env file: KEY='value' lines.
type Env map[string]string

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Write stores the env atomically.
func (e Env) Write(path string) error {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# devcluster state; source it from a shell. Written by `make up`.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, shellQuote(e[k]))
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadEnv parses a file written by Write.
func ReadEnv(path string) (Env, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	e := Env{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		// undo shellQuote
		if strings.HasPrefix(v, "'") && strings.HasSuffix(v, "'") && len(v) >= 2 {
			v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
		}
		e[k] = v
	}
	return e, sc.Err()
}

func (e Env) Int(k string) int {
	n, _ := strconv.Atoi(e[k])
	return n
}

// procStart returns the start time (clock ticks since boot) of a process, the
// 22nd field of /proc/<pid>/stat, and its state letter.
func procStart(pid int) (start uint64, state string, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, "", false
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, "", false
	}
	st, _ := strconv.ParseUint(fields[19], 10, 64)
	return st, fields[0], true
}

// ProcAlive tells whether pid is the same live process (start time matches,
// when given) and not a zombie.
func ProcAlive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, state, ok := procStart(pid)
	if !ok || state == "Z" || state == "X" {
		return false
	}
	return start == 0 || st == start
}

// stopProc sends SIGTERM to the process (and its group), waits up to grace,
// then SIGKILLs. It only signals a process whose start time matches.
func stopProc(pid int, start uint64, grace time.Duration) {
	if !ProcAlive(pid, start) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !ProcAlive(pid, start) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ProcAlive(pid, start) {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for i := 0; i < 100 && ProcAlive(pid, start); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// PodPidDir is where the node agent records the process groups it started,
// so that `down` can kill them even if the agent died.
func PodPidDir(dataDir string) string { return filepath.Join(dataDir, "agent", "pids") }
