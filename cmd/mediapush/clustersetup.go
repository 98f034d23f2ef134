package main

import (
	"path/filepath"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"mediapush/cluster"
	"mediapush/config"
	"mediapush/controller"
)

// clusterSetup is the NATS side of serve: nothing when no cluster flag is given.
type clusterSetup struct {
	broker *cluster.Broker
	conn   *nats.Conn
	config controller.ClusterConfig
}

// openCluster starts the embedded server or joins the given one; nothing when neither is
// configured. The settings were checked by the config package.
func openCluster(c config.Cluster, data string, log zerolog.Logger) (*clusterSetup, error) {
	if c.NATSListen == "" && c.NATS == "" {
		return &clusterSetup{}, nil
	}
	nodeID := c.NodeID
	if nodeID == "" {
		nodeID = "controller"
	}
	s := &clusterSetup{}
	url := c.NATS
	if c.NATSListen != "" {
		b, err := cluster.StartBroker(cluster.BrokerConfig{Listen: c.NATSListen, StoreDir: filepath.Join(data, "nats"), Token: c.Token})
		if err != nil {
			return nil, err
		}
		s.broker, url = b, b.URL()
		log.Info().Str("url", url).Bool("token", c.Token != "").Msg("embedded NATS serving")
	}
	conn, err := cluster.Connect(url, c.Token, "mediapush-controller", log)
	if err != nil {
		s.close()
		return nil, err
	}
	s.conn = conn
	s.config = controller.ClusterConfig{Conn: conn, NodeID: nodeID, NoLocalSessions: !c.LocalSessions, NodeTimeout: c.NodeTimeout, Token: c.Token}
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
