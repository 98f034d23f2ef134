package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/labstack/echo/v4"

	"mediapush/catalog"
	"mediapush/dashboard"
	"mediapush/layouts"
)

// maxListSize caps a list page, as Ant Media does.
const maxListSize = 50

var appPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// routes registers the Ant Media-compatible surface. Any application name works in the path.
// Control routes pass c.control (see access.go); the participants' routes do not.
func (c *Controller) routes(e *echo.Echo) {
	e.Use(c.checkHost)
	e.GET("/healthz", func(ctx echo.Context) error { return ctx.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", c.ready)
	e.GET("/openapi.json", c.openAPI)
	e.GET("/metrics", echo.WrapHandler(c.MetricsHandler()), c.control)
	e.GET("/api/v1/nodes", c.listNodes, c.control)
	e.GET("/api/v1/rooms", c.listRooms, c.control)
	e.GET("/api/v1/remixes", c.listRemixes, c.control)
	e.GET("/api/v1/remixes/:remixId", c.getRemix, c.control)
	e.GET("/api/v1/vods/:vodId/url", c.vodURL, c.control)
	e.GET("/api/v1/streams/:streamId/play-token", c.playToken, c.control)
	// The dashboard's page holds no data: what it shows comes through the control routes.
	e.GET("/", echo.WrapHandler(dashboard.Handler()))
	e.GET("/dashboard/*", echo.WrapHandler(dashboard.Handler()))
	c.clusterLiveRoutes(e)
	c.dolbyRoutes(e)
	app := e.Group("/:app", c.checkApp)

	push := app.Group("/rest/v1/media-push", c.control, requireJSON)
	push.POST("/start", c.start)
	push.POST("/stop/:streamId", c.stop)
	push.POST("/send-command", c.sendCommand)

	v2 := app.Group("/rest/v2", c.control, requireJSON)
	v2.GET("/broadcasts/list/:offset/:size", c.listBroadcasts)
	v2.GET("/broadcasts/:streamId", c.getBroadcast)
	v2.PUT("/broadcasts/:streamId/recording/:onoff", c.setRecording)
	v2.PUT("/broadcasts/:streamId", c.updateBroadcast)
	v2.POST("/broadcasts/:streamId/endpoint", c.addEndpoint)
	v2.DELETE("/broadcasts/:streamId/endpoint", c.removeEndpoint)
	// Ant Media 2.x's names of the endpoint calls.
	v2.POST("/broadcasts/:streamId/rtmp-endpoint", c.addEndpoint)
	v2.DELETE("/broadcasts/:streamId/rtmp-endpoint", c.removeEndpoint)
	v2.GET("/vods/list/:offset/:size", c.listVoDs)
	v2.GET("/vods/:vodId", c.getVoD)
	v2.DELETE("/vods/:vodId", c.deleteVoD)

	c.roomRoutes(app, push)
	app.GET("/websocket/application", c.circleSocket)

	app.GET("/streams/:file", c.streamFile)
	app.HEAD("/streams/:file", c.streamFile)
	app.GET("/:page", c.layoutPage)
}

func (c *Controller) checkApp(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		if !appPattern.MatchString(ctx.Param("app")) {
			return ctx.JSON(http.StatusNotFound, failed("unknown application", ""))
		}
		return next(ctx)
	}
}

// answer turns a service error into Ant Media's Result. Media-push calls answer 200 with
// success:false, as Ant Media does, so that its clients read the message; the other calls
// use the status that fits. A failure's dataId is "", as current Ant Media's is.
func answer(ctx echo.Context, err error, dataID string, alwaysOK bool) error {
	var se *Error
	code, msg := http.StatusInternalServerError, "internal error"
	if errors.As(err, &se) {
		code, msg = se.Code, se.Message
	}
	if alwaysOK && code != http.StatusInternalServerError {
		code = http.StatusOK
	}
	setRetryAfter(ctx, code, err)
	return ctx.JSON(code, failed(msg, dataID))
}

func (c *Controller) start(ctx echo.Context) error {
	var req StartRequest
	body, err := io.ReadAll(io.LimitReader(ctx.Request().Body, 64<<10))
	if err != nil {
		return ctx.JSON(http.StatusBadRequest, failed("cannot read the request body", ""))
	}
	if err := decodeBody(body, &req); err != nil {
		return ctx.JSON(http.StatusBadRequest, failed("the body is not valid JSON for media-push start: "+err.Error(), ""))
	}
	id, err := c.svc.StartPush(ctx.Request().Context(), ctx.QueryParam("streamId"), req)
	if err != nil {
		return answer(ctx, err, "", true)
	}
	return ctx.JSON(http.StatusOK, ok("", id))
}

// decodeBody reads a request body into v, refusing fields v does not have: a misspelt option
// is an error rather than a silently ignored wish.
func decodeBody(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (c *Controller) stop(ctx echo.Context) error {
	id := ctx.Param("streamId")
	if err := c.svc.StopPush(ctx.Request().Context(), id); err != nil {
		return answer(ctx, err, "", true)
	}
	return ctx.JSON(http.StatusOK, ok("", id))
}

func (c *Controller) sendCommand(ctx echo.Context) error {
	var req struct {
		JSCommand string `json:"jsCommand"`
	}
	if err := json.NewDecoder(io.LimitReader(ctx.Request().Body, 1<<20)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		return ctx.JSON(http.StatusBadRequest, failed("the body is not valid JSON: "+err.Error(), ""))
	}
	id := ctx.QueryParam("streamId")
	out, err := c.svc.SendCommand(ctx.Request().Context(), id, req.JSCommand)
	if err != nil {
		return answer(ctx, err, "", true)
	}
	return ctx.JSON(http.StatusOK, ok(out, id))
}

func page(ctx echo.Context) (offset, size int, err error) {
	offset, err1 := strconv.Atoi(ctx.Param("offset"))
	size, err2 := strconv.Atoi(ctx.Param("size"))
	if err1 != nil || err2 != nil || offset < 0 || size < 0 {
		return 0, 0, &Error{Code: 400, Message: "offset and size must be whole numbers ≥ 0"}
	}
	return offset, min(size, maxListSize), nil
}

func (c *Controller) listBroadcasts(ctx echo.Context) error {
	offset, size, err := page(ctx)
	if err != nil {
		return answer(ctx, err, "", false)
	}
	list, err := c.svc.Broadcasts(ctx.Request().Context(), offset, size)
	if err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, list)
}

func (c *Controller) getBroadcast(ctx echo.Context) error {
	b, err := c.svc.Broadcast(ctx.Request().Context(), ctx.Param("streamId"))
	if err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, b)
}

func (c *Controller) updateBroadcast(ctx echo.Context) error {
	id := ctx.Param("streamId")
	var req BroadcastUpdate
	body, err := io.ReadAll(io.LimitReader(ctx.Request().Body, 64<<10))
	if err != nil {
		return ctx.JSON(http.StatusBadRequest, failed("cannot read the request body", ""))
	}
	if err := decodeBody(body, &req); err != nil {
		return ctx.JSON(http.StatusBadRequest, failed("the body is not valid JSON for a broadcast update (name, description, metaData): "+err.Error(), ""))
	}
	if err := c.svc.UpdateBroadcast(ctx.Request().Context(), id, req); err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, ok("", id))
}

func (c *Controller) listVoDs(ctx echo.Context) error {
	offset, size, err := page(ctx)
	if err != nil {
		return answer(ctx, err, "", false)
	}
	q, err := vodQuery(offset, size, ctx.QueryParams())
	if err != nil {
		return answer(ctx, badRequest(err), "", false)
	}
	list, err := c.svc.FindVoDs(ctx.Request().Context(), q)
	if err != nil {
		return answer(ctx, err, "", false)
	}
	c.svc.WithTimelines(ctx.Param("app"), list)
	return ctx.JSON(http.StatusOK, list)
}

func (c *Controller) getVoD(ctx echo.Context) error {
	v, err := c.svc.VoD(ctx.Request().Context(), ctx.Param("vodId"))
	if err != nil {
		return answer(ctx, err, "", false)
	}
	one := []catalog.VoD{v}
	c.svc.WithTimelines(ctx.Param("app"), one)
	return ctx.JSON(http.StatusOK, one[0])
}

func (c *Controller) deleteVoD(ctx echo.Context) error {
	id := ctx.Param("vodId")
	if err := c.svc.DeleteVoD(ctx.Request().Context(), id); err != nil {
		return answer(ctx, err, "", false)
	}
	return ctx.JSON(http.StatusOK, ok("", id))
}

// streamFile serves a recording with range requests (players seek with them); one kept in S3
// is redirected to a pre-signed URL. A signed URL opens its file to anybody until it expires;
// without one the caller needs the control API's access.
func (c *Controller) streamFile(ctx echo.Context) error {
	file := ctx.Param("file")
	q := ctx.QueryParams()
	signed, err := c.svc.CheckDownload(file, q)
	if err == nil && !signed {
		err = c.controlAllowed(ctx.Request())
	}
	if err != nil {
		return answer(ctx, err, "", false)
	}
	path, err := c.svc.StreamFile(file)
	if err != nil {
		if playlist, ok := c.svc.StoredPlaylist(ctx.Request().Context(), file); ok {
			if signed {
				playlist = c.svc.SignPlaylist(playlist, q)
			}
			return ctx.Blob(http.StatusOK, "application/vnd.apple.mpegurl", playlist)
		}
		if url, ok := c.svc.StoredURL(ctx.Request().Context(), file); ok {
			return ctx.Redirect(http.StatusFound, url)
		}
		return answer(ctx, err, "", false)
	}
	switch filepath.Ext(path) {
	case ".m3u8":
		// A live playlist grows: players must fetch it anew each time.
		ctx.Response().Header().Set("Cache-Control", "no-cache")
		if signed {
			playlist, err := os.ReadFile(path)
			if err != nil {
				return answer(ctx, notFound("no such file: %s", file), "", false)
			}
			return ctx.Blob(http.StatusOK, "application/vnd.apple.mpegurl", c.svc.SignPlaylist(playlist, q))
		}
		ctx.Response().Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	default:
		if ct, ok := recordingTypes[filepath.Ext(path)]; ok {
			ctx.Response().Header().Set("Content-Type", ct)
		}
	}
	http.ServeFile(ctx.Response(), ctx.Request(), path)
	return nil
}

// recordingTypes are the content types of the recording files, set rather than left to Go's
// MIME table, which names every .webm audio/webm: mediapush's carry VP8 video.
var recordingTypes = map[string]string{
	".mp4": "video/mp4", ".webm": "video/webm", ".mp3": "audio/mpeg", ".m4s": "video/iso.segment", ".ts": "video/mp2t",
}

// layoutPage serves the pages embedded in the binary (layouts and test pages).
func (c *Controller) layoutPage(ctx echo.Context) error {
	name := ctx.Param("page")
	if !serveLayout(ctx.Response(), ctx.Request(), name) {
		return ctx.JSON(http.StatusNotFound, failed("no page "+name, ""))
	}
	return nil
}

// serveLayout answers with the embedded page or script name, and says whether there is one.
func serveLayout(w http.ResponseWriter, r *http.Request, name string) bool {
	if _, err := fs.Stat(layouts.FS, name); err != nil {
		return false
	}
	http.ServeFileFS(w, r, layouts.FS, name)
	return true
}
