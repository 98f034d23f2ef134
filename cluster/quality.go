package cluster

import (
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"

	"mediapush/worker"
)

// QualityMessage is a node's report that a session fell below its quality targets or
// recovered. It travels on plain NATS, not JetStream: a report missed while the controller is
// away is superseded by the next.
type QualityMessage struct {
	Node        string             `json:"node"`
	Degradation worker.Degradation `json:"degradation"`
	AVOffsetNs  int64              `json:"avOffsetNs"`
}

const qualitySubjects = "mediapush.quality.*"

func qualitySubject(node string) string { return "mediapush.quality." + node }

// OnDegraded passes a session's quality report on to the controller (worker.Config.OnDegraded).
func (n *Node) OnDegraded(d worker.Degradation) {
	data, err := json.Marshal(QualityMessage{Node: n.cfg.ID, Degradation: d, AVOffsetNs: d.AVOffset.Nanoseconds()})
	if err == nil {
		err = n.cfg.Conn.Publish(qualitySubject(n.cfg.ID), data)
	}
	if err != nil {
		n.log.Warn().Err(err).Str("streamId", d.StreamID).Msg("quality report not sent")
	}
}

func (d *Dispatcher) onQuality(m *nats.Msg) {
	var q QualityMessage
	if err := json.Unmarshal(m.Data, &q); err != nil || ValidNodeID(q.Node) != nil {
		d.log.Warn().Err(err).Msg("a quality report that cannot be read: ignored")
		return
	}
	q.Degradation.AVOffset = time.Duration(q.AVOffsetNs)
	d.cfg.OnDegraded(q.Degradation)
}
