package cluster

import (
	"fmt"
	"regexp"
)

// The subjects and JetStream names the nodes and the controller share.
const (
	// StatusSubject carries every node's heartbeat.
	StatusSubject = "mediapush.status"
	// EventStream holds the sessions' events, on EventSubjects.
	EventStream   = "MEDIAPUSH_EVENTS"
	EventSubjects = "mediapush.events.>"
	// EventConsumer is the controller's durable consumer of EventStream.
	EventConsumer = "controller"
	// AppliedBucket is the key-value bucket where the controller notes the last event it
	// applied of each session, so that a redelivery after its restart is dropped.
	AppliedBucket = "mediapush_applied"
)

var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidNodeID checks a node id: it becomes part of NATS subjects and message ids.
func ValidNodeID(id string) error {
	if !nodeIDPattern.MatchString(id) {
		return fmt.Errorf("node id %q: 1 to 64 letters, digits, '-' or '_'", id)
	}
	return nil
}

func startSubject(node string) string   { return "mediapush.node." + node + ".start" }
func commandSubject(node string) string { return "mediapush.node." + node + ".command" }
func eventSubject(node string) string   { return "mediapush.events." + node }

// msgID is an event's JetStream deduplication id: the same event published twice (a retry
// whose first ack was lost) is stored once.
func msgID(node string, m EventMessage) string {
	return fmt.Sprintf("%s.%s.%s.%d", node, m.Event.StreamID, m.Session, m.Seq)
}
