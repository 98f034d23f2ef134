package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"mediapush/cluster"
	"mediapush/controller"
)

// clusterFlags are serve's flags that place sessions on worker nodes.
type clusterFlags struct {
	listen, url, nodeID *string
	local               *bool
	nodeTimeout         *time.Duration
}

func declareClusterFlags(fs *flag.FlagSet) *clusterFlags {
	return &clusterFlags{
		listen: fs.String("nats-listen", "", "run an embedded NATS server (JetStream, stored under DATA/nats) on this address, e.g. 127.0.0.1:4222, "+
			"for worker nodes to join; a non-loopback address needs "+cluster.TokenEnv),
		url:         fs.String("nats", "", "join the NATS server at this URL (nats://host:4222) to place sessions on worker nodes; token: "+cluster.TokenEnv),
		nodeID:      fs.String("node-id", "controller", "with --nats or --nats-listen: the id of this process's own worker node"),
		local:       fs.Bool("local-sessions", true, "with --nats or --nats-listen: also run sessions in this process, as one of the nodes"),
		nodeTimeout: fs.Duration("node-timeout", cluster.DefaultNodeTimeout, "a worker node not heard from for this long is lost"),
	}
}

// clusterSetup is the NATS side of serve: nothing when no cluster flag is given.
type clusterSetup struct {
	broker *cluster.Broker
	conn   *nats.Conn
	config controller.ClusterConfig
}

// open starts the embedded server or joins the given one.
func (f *clusterFlags) open(data string, log zerolog.Logger) (*clusterSetup, error) {
	if *f.listen == "" && *f.url == "" {
		if !*f.local {
			return nil, errors.New("--local-sessions=false needs worker nodes: give --nats-listen or --nats")
		}
		return &clusterSetup{}, nil
	}
	if *f.listen != "" && *f.url != "" {
		return nil, errors.New("--nats-listen and --nats: give one (the embedded server, or another one)")
	}
	if *f.nodeTimeout <= 0 {
		return nil, errors.New("--node-timeout must be positive")
	}
	if err := cluster.ValidNodeID(*f.nodeID); err != nil {
		return nil, errors.New("--node-id: " + err.Error())
	}
	// From the environment only: a flag's value shows in ps, a URL's in logs.
	token := os.Getenv(cluster.TokenEnv)
	s := &clusterSetup{}
	url := *f.url
	if *f.listen != "" {
		b, err := cluster.StartBroker(cluster.BrokerConfig{Listen: *f.listen, StoreDir: filepath.Join(data, "nats"), Token: token})
		if err != nil {
			return nil, err
		}
		s.broker, url = b, b.URL()
		log.Info().Str("url", url).Bool("token", token != "").Msg("embedded NATS serving")
	}
	conn, err := cluster.Connect(url, token, "mediapush-controller", log)
	if err != nil {
		s.close()
		return nil, err
	}
	s.conn = conn
	s.config = controller.ClusterConfig{Conn: conn, NodeID: *f.nodeID, NoLocalSessions: !*f.local, NodeTimeout: *f.nodeTimeout, Token: token}
	return s, nil
}

func (s *clusterSetup) describe() string {
	switch {
	case s.conn == nil:
		return "off"
	case s.config.NoLocalSessions:
		return "on, sessions on worker nodes only"
	}
	return "on, this process is node " + s.config.NodeID
}

func (s *clusterSetup) close() {
	if s.conn != nil {
		s.conn.Close()
	}
	if s.broker != nil {
		s.broker.Close()
	}
}
