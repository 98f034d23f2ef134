package controller

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"mediapush/cluster"
)

// testBroker starts an embedded NATS broker for the test; connect opens a connection to it
// under a client name. Both close at the test's end.
func testBroker(t *testing.T) (connect func(name string) *nats.Conn) {
	t.Helper()
	broker, err := cluster.StartBroker(cluster.BrokerConfig{Listen: "127.0.0.1:0", StoreDir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	return func(name string) *nats.Conn {
		nc, err := cluster.Connect(broker.URL(), "", name, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
}

// testNode runs worker node w1 on the broker, heartbeating every 50 ms; its sessions run
// nowhere (no Chromium). It closes at the test's end.
func testNode(t *testing.T, connect func(name string) *nats.Conn) *cluster.Node {
	t.Helper()
	ctx := context.Background()
	node, err := cluster.NewNode(ctx, cluster.NodeConfig{ID: "w1", Conn: connect("w1"), Heartbeat: 50 * time.Millisecond, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Serve(&remoteSessions{node: node}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close(ctx) }) //nolint:errcheck // test end
	return node
}
