package signalling

import (
	"errors"
	"fmt"

	"mediapush/rooms"
)

// Error definitions sent in {"command":"error"}. The first four are Ant Media's own, which the
// SDK and its pages react to; the others name mediapush's refusals.
const (
	defNoStream       = "no_stream_exist"
	defUnauthorized   = "unauthorized_access"
	defStreamInUse    = "streamIdInUse"
	defPublishTimeout = "publishTimeoutError"

	defInvalidMessage  = "invalid_message"   // not a JSON object, or a field of the wrong type
	defUnknownCommand  = "unknown_command"   // a command mediapush does not handle
	defInvalidStreamID = "invalid_stream_id" // a streamId or room breaking the id rules
	defInvalidName     = "invalid_name"      // a streamName that is too long or not printable
	defInvalidMetaData = "invalid_metadata"  // metaData too large
	defInvalidSDP      = "invalid_sdp"       // an offer or answer that cannot be used
	defUnsupportedCode = "unsupported_codec" // an offer with no codec mediapush relays
	defLimitReached    = "limit_reached"     // a room, a stream or this connection is full
	defNotAllowed      = "not_allowed"       // a command out of turn, or about another's stream
	defShuttingDown    = "server_shutting_down"
)

// sdkError is a refusal: its definition for the SDK and a message for people.
type sdkError struct {
	definition string
	message    string
}

func (e *sdkError) Error() string { return e.message }

func refuse(definition, format string, args ...any) error {
	return &sdkError{definition: definition, message: fmt.Sprintf(format, args...)}
}

// definitionOf gives an error its definition; the conference server's errors have theirs.
func definitionOf(err error) string {
	var se *sdkError
	switch {
	case errors.As(err, &se):
		return se.definition
	case errors.Is(err, rooms.ErrUnauthorized):
		return defUnauthorized
	case errors.Is(err, rooms.ErrNotFound):
		return defNoStream
	case errors.Is(err, rooms.ErrExists):
		return defStreamInUse
	case errors.Is(err, rooms.ErrFull):
		return defLimitReached
	case errors.Is(err, rooms.ErrCodec):
		return defUnsupportedCode
	case errors.Is(err, rooms.ErrBadOffer):
		return defInvalidSDP
	case errors.Is(err, rooms.ErrClosed):
		return defShuttingDown
	}
	return "internal_error"
}
