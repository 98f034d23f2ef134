package remix

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func TestKeyPage(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 10, 1))
	pixels := []color.RGBA{
		{255, 0, 255, 255},   // 0: key
		{255, 128, 255, 255}, // 1: half key, half white label: anti-aliased edge
		{255, 191, 255, 255}, // 2: a quarter key over white
		{255, 255, 255, 255}, // 3: the label
		{143, 16, 143, 255},  // 4: half key, half the page's dark grey
		{255, 0, 0, 255},     // 5: red drawn by the page over the picture
		{32, 32, 32, 255},    // 6: page
		{32, 32, 32, 255},    // 7: page
		{255, 0, 255, 255},   // 8: key away from any box: left as the page drew it
		{32, 32, 32, 255},    // 9: page
	}
	for x, c := range pixels {
		src.SetRGBA(x, 0, c)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, src); err != nil {
		t.Fatal(err)
	}
	got, err := keyPage(buf.Bytes(), []Box{box("a", 0, 0, 4, 1), box("b", 4, 0, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	alpha := func(x int) uint8 { return got.NRGBAAt(x, 0).A }
	for _, x := range []int{0, 1, 4} {
		if alpha(x) != 0 {
			t.Errorf("pixel %d (%v) keeps alpha %d, want it taken out", x, pixels[x], alpha(x))
		}
	}
	if a := alpha(2); a == 0 || a == 255 {
		t.Errorf("a quarter of key over white: alpha %d, want partly transparent", a)
	} else if c := got.NRGBAAt(2, 0); c.G < 240 {
		t.Errorf("a quarter of key over white keeps %v, want the white without the key", c)
	}
	for _, x := range []int{3, 5, 6, 7, 8, 9} {
		if c := got.NRGBAAt(x, 0); c != (color.NRGBA{pixels[x].R, pixels[x].G, pixels[x].B, 255}) {
			t.Errorf("pixel %d is %v, want it as the page drew it (%v)", x, c, pixels[x])
		}
	}
	// The transparent pixels next to the label take its colour, not the key's.
	if c := got.NRGBAAt(1, 0); c.G < 200 {
		t.Errorf("transparent pixel 1 is %v, want the colour of its visible neighbour", c)
	}
}
