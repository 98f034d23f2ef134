// Package cluster runs mediapush's sessions on worker nodes in other processes or on other
// machines: a Node serves a worker over NATS, a Dispatcher is the controller's Runner that
// places each session on a node, and events come back through a JetStream stream so that
// none is lost or applied twice across a restart of NATS or of the controller.
//
// Every message is plain JSON. Starts and commands are NATS requests on the node's own
// subjects; events are JetStream messages; each node's status is a heartbeat on one subject.
package cluster

import (
	"time"

	"mediapush/recorder"
	"mediapush/worker"
)

// Op names a command to a node.
type Op string

// The commands a node answers besides start.
const (
	OpStop           Op = "stop"
	OpCommand        Op = "command"
	OpSetRecording   Op = "setRecording"
	OpAddEndpoint    Op = "addEndpoint"
	OpRemoveEndpoint Op = "removeEndpoint"
	OpEndpoints      Op = "endpoints"
	OpProgress       Op = "progress"
)

// StartRequest asks a node to run a job.
type StartRequest struct {
	Job worker.Job `json:"job"`
}

// Request is a command about a node's running session.
type Request struct {
	Op       Op     `json:"op"`
	StreamID string `json:"streamId"`
	// JS is OpCommand's script.
	JS string `json:"js,omitempty"`
	// On and Formats are OpSetRecording's.
	On      bool              `json:"on,omitempty"`
	Formats []recorder.Format `json:"formats,omitempty"`
	// EndpointID, Target and Token are OpAddEndpoint's (Target and Token: the push's URL and
	// bearer token) and OpRemoveEndpoint's (EndpointID).
	EndpointID string `json:"endpointId,omitempty"`
	Target     string `json:"target,omitempty"`
	Token      string `json:"token,omitempty"`
}

// Reply answers a start or a command: Error, or what the command returns.
type Reply struct {
	Error      *Error             `json:"error,omitempty"`
	Event      *worker.Event      `json:"event,omitempty"`      // OpStop's final event
	Output     string             `json:"output,omitempty"`     // OpCommand's value
	Recordings []worker.Recording `json:"recordings,omitempty"` // OpSetRecording's
	EndpointID string             `json:"endpointId,omitempty"` // OpAddEndpoint's
	Endpoints  []worker.Endpoint  `json:"endpoints,omitempty"`  // OpEndpoints'
	Progress   *worker.Progress   `json:"progress,omitempty"`   // OpProgress'
	// Published is the last event the node had published about the stream when it
	// answered: the caller waits until it has applied it, so that a start or stop that
	// returns finds the catalog up to date, as it does with a worker in the same process.
	Published *Mark `json:"published,omitempty"`
}

// Mark is one event of one session: the session's id and the event's sequence number.
type Mark struct {
	Session string `json:"session"`
	Seq     uint64 `json:"seq"`
}

// EventMessage is a session's change of state as a node publishes it.
type EventMessage struct {
	Node string `json:"node"`
	// Session identifies one run of a stream id on one node; Seq counts its events from 1,
	// without gaps, in the order they happened.
	Session string       `json:"session"`
	Seq     uint64       `json:"seq"`
	Event   worker.Event `json:"event"`
}

// Mark is where the message stands in its session.
func (m EventMessage) Mark() Mark { return Mark{Session: m.Session, Seq: m.Seq} }

// Status is a node's heartbeat.
type Status struct {
	Node string `json:"node"`
	// Budget is what the node's sessions may use together; MaxSessions the most that run at
	// once (0: no limit).
	Budget      worker.Budget     `json:"budget"`
	MaxSessions int               `json:"maxSessions,omitempty"`
	Load        worker.LoadReport `json:"load"`
	// Running lists the stream ids of the node's sessions.
	Running  []string  `json:"running"`
	Draining bool      `json:"draining,omitempty"`
	At       time.Time `json:"at"`
}

// withoutSecrets is ev without what must not leave the node: its job as Job.Public shows it
// (no token, no credentials, no stream keys, no script).
func withoutSecrets(ev worker.Event) worker.Event {
	if ev.Job != nil {
		job := ev.Job.Public()
		ev.Job = &job
	}
	return ev
}
