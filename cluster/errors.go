package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mediapush/worker"
)

// Code tells a refused or failed call's kind apart on the wire.
type Code string

// The codes of Error.
const (
	CodeExists       Code = "exists"        // worker.ErrExists
	CodeNotFound     Code = "not_found"     // worker.ErrNotFound
	CodeLimit        Code = "limit"         // *worker.LimitError
	CodeShuttingDown Code = "shutting_down" // the node drains or stops: try another
	CodeBadRequest   Code = "bad_request"   // the message could not be read
	CodeFailed       Code = "failed"        // anything else, with its message
)

// Error is a call's failure as it travels.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Cause and RetryAfterMs are a limit's (worker.LimitError's Cause and RetryAfter).
	Cause        string `json:"cause,omitempty"`
	RetryAfterMs int64  `json:"retryAfterMs,omitempty"`
}

// ErrShuttingDown is a node's refusal while it drains or stops.
var ErrShuttingDown = errors.New("the worker node is shutting down")

// encodeError turns a worker's error into its wire form; nil stays nil.
func encodeError(err error) *Error {
	if err == nil {
		return nil
	}
	var le *worker.LimitError
	switch {
	case errors.As(err, &le):
		return &Error{Code: CodeLimit, Message: le.Message, Cause: le.Cause, RetryAfterMs: le.RetryAfter.Milliseconds()}
	case errors.Is(err, worker.ErrExists):
		return &Error{Code: CodeExists, Message: err.Error()}
	case errors.Is(err, worker.ErrNotFound):
		return &Error{Code: CodeNotFound, Message: err.Error()}
	case errors.Is(err, ErrShuttingDown):
		return &Error{Code: CodeShuttingDown, Message: err.Error()}
	}
	return &Error{Code: CodeFailed, Message: err.Error()}
}

// Err is the error a caller of the Runner gets: the worker's own sentinel or *LimitError,
// so that errors.Is and errors.As work as with a worker in the same process.
func (e *Error) Err() error {
	if e == nil {
		return nil
	}
	switch e.Code {
	case CodeLimit:
		return &worker.LimitError{Message: e.Message, Cause: e.Cause, RetryAfter: time.Duration(e.RetryAfterMs) * time.Millisecond}
	case CodeExists:
		return remoteError{msg: e.Message, is: worker.ErrExists}
	case CodeNotFound:
		return remoteError{msg: e.Message, is: worker.ErrNotFound}
	case CodeShuttingDown:
		return remoteError{msg: e.Message, is: ErrShuttingDown}
	case CodeBadRequest:
		return fmt.Errorf("the worker node could not read the request: %s", e.Message)
	}
	return errors.New(e.Message)
}

// remoteError keeps a node's message and is the sentinel it stands for.
type remoteError struct {
	msg string
	is  error
}

func (e remoteError) Error() string { return e.msg }
func (e remoteError) Unwrap() error { return e.is }

// Transport failures are not the node's answer: say which node did not answer.
func unreachable(node string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("worker node %s did not answer in time: %w", node, err)
	}
	return fmt.Errorf("worker node %s is unreachable: %w", node, err)
}
