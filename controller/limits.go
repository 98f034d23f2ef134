package controller

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"mediapush/worker"
)

// Limits bound what one node takes on (see worker.Limits). The conference server's own limits
// (publishers per room, viewers per stream) are in Config.Rooms, the webhook outbox's size in
// Config.Webhook.
type Limits = worker.Limits

// limitError turns a refusal by a limit into an Error: 503 for what the whole node lacks (a
// session slot, disk space), so that clients try again later or elsewhere; 429 for what
// one session, room or stream has too many of.
func limitError(err error, perResource bool) (error, bool) {
	var le *worker.LimitError
	if !errors.As(err, &le) {
		return err, false
	}
	code := http.StatusServiceUnavailable
	if perResource {
		code = http.StatusTooManyRequests
	}
	return &Error{Code: code, Message: le.Message, RetryAfter: le.RetryAfter}, true
}

// setRetryAfter tells a client refused for want of capacity when to try again.
func setRetryAfter(ctx echo.Context, code int, err error) {
	var se *Error
	if (code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests) && errors.As(err, &se) && se.RetryAfter > 0 {
		ctx.Response().Header().Set("Retry-After", strconv.Itoa(int(se.RetryAfter.Round(time.Second)/time.Second)))
	}
}
