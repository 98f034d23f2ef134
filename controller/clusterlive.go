package controller

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"mediapush/cluster"
	"mediapush/rooms"
)

// clusterLivePath is where a worker node sends the live stream of a session it runs (WHIP:
// POST an SDP offer, DELETE its resource to end it), so that viewers play it here as they
// would a session of this process. It names no application: a session's live stream is one
// hub stream whatever the application its viewers name.
const clusterLivePath = "/api/v1/cluster/live/"

// ClusterLiveURL is the URL worker node node pushes the live stream of streamID to, on the
// controller at base (http://host:port).
func ClusterLiveURL(base, node, streamID string) string {
	return strings.TrimSuffix(base, "/") + clusterLivePath + streamID + "?node=" + url.QueryEscape(node)
}

func (c *Controller) clusterLiveRoutes(e *echo.Echo) {
	e.POST(clusterLivePath+":streamId", c.clusterLivePublish, c.clusterPeer)
	e.DELETE(clusterLivePath+":streamId/:session", c.clusterLiveEnd, c.clusterPeer)
}

// clusterPeer admits the worker nodes of this controller's cluster: cluster mode must be on,
// and the request must carry the cluster token as its Bearer token (compared in constant
// time). Without a cluster token nobody is admitted: the routes would be open to anyone.
func (c *Controller) clusterPeer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		if c.dispatcher == nil {
			return ctx.String(http.StatusNotFound, "cluster mode is off: this server has no worker nodes\n")
		}
		want := c.cfg.Cluster.Token
		if want == "" {
			return ctx.String(http.StatusForbidden, "live streams of worker nodes need "+cluster.TokenEnv+" set on the controller and its nodes\n")
		}
		got, ok := strings.CutPrefix(ctx.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) != 1 {
			ctx.Response().Header().Set("WWW-Authenticate", `Bearer realm="mediapush cluster"`)
			return ctx.String(http.StatusUnauthorized, "the cluster token is missing or wrong\n")
		}
		return next(ctx)
	}
}

// clusterLivePublish takes a worker node's WHIP offer for the live stream of a session the
// dispatcher placed on a node. The stream becomes the session's hub stream, as one recorded
// in this process is: WHEP, the listings and the broadcast read it the same. A session that
// moved to another node is published again from there: the new publication replaces the old.
func (c *Controller) clusterLivePublish(ctx echo.Context) error {
	id := ctx.Param("streamId")
	if err := validStreamID(id); err != nil {
		return plainError(ctx, badRequest(err))
	}
	node := ctx.QueryParam("node")
	if err := cluster.ValidNodeID(node); err != nil {
		return plainError(ctx, badRequest(fmt.Errorf("node: %w", err)))
	}
	// Only from the node the session runs on: a moved session's old node, heard from again
	// before it is told to stop, must not take the stream back from the new one.
	switch on := c.dispatcher.NodeOf(id); on {
	case "":
		return ctx.String(http.StatusNotFound, "no session "+id+" runs on a worker node\n")
	case node:
	default:
		return ctx.String(http.StatusConflict, "session "+id+" runs on worker node "+on+", not "+node+"\n")
	}
	offer, err := readOffer(ctx)
	if err != nil {
		return plainError(ctx, err)
	}
	answer, session, err := c.hub.Publish(id, rooms.PublishOptions{Name: id, Kind: rooms.KindMediaPush, Replace: true}, offer)
	if err != nil {
		return plainError(ctx, hubError(err))
	}
	ctx.Response().Header().Set("Location", clusterLivePath+id+"/"+session)
	return ctx.Blob(http.StatusCreated, "application/sdp", []byte(answer))
}

// clusterLiveEnd ends a worker node's live stream: its session ended there.
func (c *Controller) clusterLiveEnd(ctx echo.Context) error {
	// Only a relayed session's stream: a participant's publication is not a node's to end.
	if s, ok := c.hub.Stream(ctx.Param("streamId")); !ok || s.Info().Kind != rooms.KindMediaPush {
		return ctx.String(http.StatusNotFound, "no live stream of a worker node's session "+ctx.Param("streamId")+"\n")
	}
	if err := c.hub.Unpublish(ctx.Param("streamId"), ctx.Param("session")); err != nil {
		return plainError(ctx, hubError(err))
	}
	return ctx.NoContent(http.StatusOK)
}
