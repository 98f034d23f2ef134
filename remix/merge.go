package remix

import (
	"bytes"
	"os"
	"slices"
)

// MergeSame joins each run of consecutive scenes whose frames are the same picture with the
// same boxes into one scene, keeping the first's frame. A change the page does not show (a
// new speaker in a layout that outlines the speaker under the pictures) then costs no cut in
// the render. The scenes and frames are Plan's and LayoutFrames'; the frames' images are
// compared by content.
func MergeSame(scenes []Scene, frames []Frame) ([]Scene, []Frame, error) {
	if len(scenes) != len(frames) {
		return scenes, frames, nil
	}
	var outS []Scene
	var outF []Frame
	var last []byte
	for i := range scenes {
		img, err := os.ReadFile(frames[i].Image)
		if err != nil {
			return nil, nil, err
		}
		if n := len(outS); n > 0 && slices.Equal(outF[n-1].Boxes, frames[i].Boxes) && bytes.Equal(last, img) {
			outS[n-1].ToMs = scenes[i].ToMs
			continue
		}
		outS, outF, last = append(outS, scenes[i]), append(outF, frames[i]), img
	}
	return outS, outF, nil
}
