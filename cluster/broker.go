package cluster

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TokenEnv is the environment variable holding the cluster's shared token. It is read from
// the environment only: a flag's value is visible to every user of the machine in ps.
const TokenEnv = "MEDIAPUSH_CLUSTER_TOKEN"

// BrokerConfig configures the NATS server mediapush serve embeds.
type BrokerConfig struct {
	// Listen is host:port, e.g. 127.0.0.1:4222.
	Listen string
	// StoreDir holds JetStream's streams (DATA/nats).
	StoreDir string
	// Token, when set, is required of every client. Without it the server listens only on
	// loopback addresses.
	Token string
}

// Broker is an embedded NATS server with JetStream.
type Broker struct {
	srv *server.Server
}

// StartBroker starts the server and returns once it accepts connections.
func StartBroker(cfg BrokerConfig) (*Broker, error) {
	host, portText, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("--nats-listen %q: an address like 127.0.0.1:4222: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("--nats-listen %q: the port is not a number from 0 to 65535", cfg.Listen)
	}
	if cfg.Token == "" && !loopback(host) {
		return nil, fmt.Errorf("--nats-listen %s is not a loopback address: set %s so that workers must authenticate, or listen on 127.0.0.1", cfg.Listen, TokenEnv)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	if port == 0 {
		port = server.RANDOM_PORT // nats-server's own 0 is its default port, 4222
	}
	opts := &server.Options{
		ServerName: "mediapush", Host: host, Port: port, JetStream: true, StoreDir: cfg.StoreDir,
		Authorization: cfg.Token, NoSigs: true, NoLog: true, MaxPayload: 4 << 20,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("embedded NATS did not start within 10 s (is the address taken?)")
	}
	return &Broker{srv: srv}, nil
}

// URL is where clients connect, without credentials.
func (b *Broker) URL() string { return b.srv.ClientURL() }

// Close stops the server.
func (b *Broker) Close() {
	b.srv.Shutdown()
	b.srv.WaitForShutdown()
}

// loopback says whether host names only this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
