package cluster

import (
	"net"
	"strconv"
	"testing"
)

// A component's port must stay bindable across `restart`: none may come from
// the range the kernel hands to outgoing connections.
func TestFreePortsLieBelowTheEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	ports, err := freePorts(50)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p >= low || p < 1024 {
			t.Errorf("port %d is outside [1024, %d)", p, low)
		}
		if seen[p] {
			t.Errorf("port %d handed out twice", p)
		}
		seen[p] = true
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("port %d is not free after freePorts returned: %v", p, err)
			continue
		}
		l.Close()
	}
}
