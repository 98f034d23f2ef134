package remix

// KeyColor is the colour of a participant's placeholder picture in the page's screenshot:
// where it shows, the participant's own picture goes. It is taken out of the screenshot
// when compositing, so a page should not use it for anything else.
const KeyColor = "#ff00ff"

// Participant is one publication as the layout page is shown it: the shape of a participant
// in the room API's list (GET /{app}/rest/v2/rooms/{room}/participants), with its picture size.
type Participant struct {
	StreamID    string `json:"streamId"`
	Name        string `json:"name"`
	Video       string `json:"video,omitempty"` // codec; empty for an audio-only publication
	Audio       string `json:"audio,omitempty"`
	ScreenShare bool   `json:"screenShare,omitempty"`
	Presenter   string `json:"presenter,omitempty"`
	JoinedAt    int64  `json:"joinedAt"` // Unix milliseconds
	// Width and Height are the publication's picture size (the placeholder's).
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
}

// Scene is the room as it stands from FromMs to ToMs on the recording's clock (which is the
// output's: the output starts at the room clock's 0).
type Scene struct {
	FromMs, ToMs int64
	// Participants are in the order they joined, as the room API lists them.
	Participants []Participant
	// Speaker is the active speaker's stream id, or "".
	Speaker string
}

// Box is where the page shows one participant's picture, in CSS pixels of the output.
type Box struct {
	StreamID string `json:"streamId"`
	// X, Y, W, H is where the whole picture is drawn (object-fit applied): with "cover" it
	// reaches beyond Clip.
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
	// Clip is the part of it that shows: the element's box within its clipping ancestors and
	// the viewport.
	ClipX float64 `json:"clipX"`
	ClipY float64 `json:"clipY"`
	ClipW float64 `json:"clipW"`
	ClipH float64 `json:"clipH"`
}

// Frame is a scene as the page laid it out.
type Frame struct {
	// Image is a PNG of the page at the output's size, with KeyColor where pictures go.
	Image string
	// Boxes are the participants' pictures in paint order, the lowest first.
	Boxes []Box
}
