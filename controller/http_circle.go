package controller

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"
)

// circleSocket serves Circle's /{app}/websocket/application. The endpoint is open as the
// participants' routes are; what a connection may do is judged per message (circleAccess).
func (c *Controller) circleSocket(ctx echo.Context) error {
	r := ctx.Request()
	access := circleAccess{controlErr: c.controlAllowed(withQueryCredential(r)),
		tokensOn: c.hub.Secured(), authorize: c.hub.Authorize}
	conn, err := websocket.Accept(ctx.Response(), r, &websocket.AcceptOptions{
		// Any origin may connect: a cross-site page cannot borrow an operator's standing
		// (controlAllowed refuses it), so all it can use is a stream token it holds.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return nil // Accept has answered the request
	}
	conn.SetReadLimit(maxCircleMessage)
	node := circleNode{c: c, app: ctx.Param("app"), base: c.selfURL(ctx)}
	c.serveCircle(r.Context(), conn, access, node)
	return nil
}

// circleWriteTimeout bounds the sending of one answer.
const circleWriteTimeout = 10 * time.Second

// maxCircleInFlight bounds the recordings one connection starts or stops at once.
const maxCircleInFlight = 4

// serveCircle reads messages until the client leaves. Recording commands run beside the
// reading, so that pings are answered while a start waits for the page; they are not
// cancelled when the client leaves, as a start over REST is not.
func (c *Controller) serveCircle(ctx context.Context, conn *websocket.Conn, access circleAccess, rec circleRecorder) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxCircleInFlight)
	send := func(reply circleReply) {
		b, _ := json.Marshal(reply)
		// Bounded: a client that stops reading must not hold a recording's answer for ever.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), circleWriteTimeout)
		defer cancel()
		conn.Write(wctx, websocket.MessageText, b) //nolint:errcheck // a client gone is not an error here
	}
	for {
		typ, msg, err := conn.Read(ctx)
		if err != nil {
			// The library has answered a client's close, or closed the connection itself
			// (StatusMessageTooBig past the read limit); nothing is left but the socket.
			conn.CloseNow() //nolint:errcheck // closing is all that is left
			return
		}
		if typ != websocket.MessageText {
			send(circleError("messages are JSON text frames, not binary"))
			continue
		}
		cmd := peekCommand(msg)
		if cmd != "startRecording" && cmd != "stopRecording" {
			send(handleCircle(ctx, msg, access, rec))
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			send(circleReply{Command: cmd + "Response"}.with(failed("too many recording commands at once on this connection: wait for their answers", "")))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			send(handleCircle(context.WithoutCancel(ctx), msg, access, rec))
		}()
	}
}

// withQueryCredential is r with the API credential of its apiToken query parameter as its
// Authorization header, when it has none: browsers cannot set headers on a WebSocket.
func withQueryCredential(r *http.Request) *http.Request {
	token := r.URL.Query().Get("apiToken")
	if token == "" || r.Header.Get("Authorization") != "" {
		return r
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+token)
	return r2
}

// circleNode records rooms for Circle as the REST room recording does, at Circle's size and
// format: 1280x720 mp4.
type circleNode struct {
	c         *Controller
	app, base string
}

func (n circleNode) startRoomRecording(ctx context.Context, room string) (string, error) {
	return n.c.svc.StartRoomRecording(ctx, n.app, n.base, room,
		RoomRecordingRequest{Width: DefaultWidth, Height: DefaultHeight, RecordType: "mp4"})
}

func (n circleNode) stopRoomRecording(ctx context.Context, room string) error {
	return n.c.svc.StopRoomRecording(ctx, room)
}
