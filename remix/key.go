package remix

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// How close to KeyColor a pixel of a placeholder must be to be taken out: within
// keySimilarity (a distance in RGB, 1 being black to white) it is transparent, and over the
// next keyBlend partly so. A browser's anti-aliased edge of a placeholder is a mix of it and
// the page: half and half is about 0.35 away, so it goes; the page's white 0.58 away stays.
const (
	keySimilarity = 0.4
	keyBlend      = 0.15
	// keyMargin is how far around a box's clip the key is looked for: its anti-aliased edge.
	keyMargin = 2
)

var keyRGB = func() [3]float64 {
	v, err := strconv.ParseUint(KeyColor[1:], 16, 32)
	if err != nil {
		panic(err)
	}
	return [3]float64{float64(v >> 16 & 0xff), float64(v >> 8 & 0xff), float64(v & 0xff)}
}()

// keyPage makes the page's screenshot data (a PNG of width×height) into the overlay put
// over the pictures: inside the boxes' clips (and their edges), the key colour becomes
// transparent and a part-key pixel keeps the page's part of it at its share of opacity.
// Elsewhere the page stays as it is. A transparent pixel takes the colour of an opaque
// neighbour: when the overlay's colour is subsampled (4:2:0), the key colour must not tint
// the page's pixels next to a picture.
func keyPage(data []byte, boxes []Box) (*image.NRGBA, error) {
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	b := src.Bounds()
	img := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(img, img.Bounds(), src, b.Min, draw.Src)
	keyed := make([]bool, b.Dx()*b.Dy())
	for _, box := range boxes {
		r := image.Rect(int(math.Floor(box.ClipX))-keyMargin, int(math.Floor(box.ClipY))-keyMargin,
			int(math.Ceil(box.ClipX+box.ClipW))+keyMargin, int(math.Ceil(box.ClipY+box.ClipH))+keyMargin).Intersect(img.Bounds())
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				i := y*b.Dx() + x
				if keyed[i] {
					continue
				}
				keyed[i] = true
				unkey(img, x, y)
			}
		}
	}
	bleed(img)
	return img, nil
}

// unkey takes the key colour out of the pixel at x, y.
func unkey(img *image.NRGBA, x, y int) {
	c := img.NRGBAAt(x, y)
	if c.A != 255 {
		return // the page is opaque: a screenshot has no transparency of its own
	}
	v := [3]float64{float64(c.R), float64(c.G), float64(c.B)}
	d := math.Sqrt(sq(v[0]-keyRGB[0])+sq(v[1]-keyRGB[1])+sq(v[2]-keyRGB[2])) / (255 * math.Sqrt(3))
	if d >= keySimilarity+keyBlend {
		return
	}
	alpha := max(0, (d-keySimilarity)/keyBlend)
	if alpha == 0 {
		img.SetNRGBA(x, y, color.NRGBA{})
		return
	}
	// c = alpha·page + (1−alpha)·key: the page's part of it.
	var page [3]uint8
	for i := range v {
		page[i] = uint8(math.Round(min(255, max(0, (v[i]-(1-alpha)*keyRGB[i])/alpha))))
	}
	img.SetNRGBA(x, y, color.NRGBA{page[0], page[1], page[2], uint8(math.Round(alpha * 255))})
}

func sq(v float64) float64 { return v * v }

// bleed gives each fully transparent pixel next to a visible one that one's colour.
func bleed(img *image.NRGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		for x := range w {
			if img.NRGBAAt(x, y).A != 0 {
				continue
			}
			for _, d := range [][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {1, 1}, {-1, 1}, {1, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= w || ny >= h {
					continue
				}
				if n := img.NRGBAAt(nx, ny); n.A != 0 {
					img.SetNRGBA(x, y, color.NRGBA{n.R, n.G, n.B, 0})
					break
				}
			}
		}
	}
}

// writeKeyedPage writes the overlay of frame i into the work directory (once: it is named
// by the screenshot's hash and the boxes) and returns its path.
func (j *job) writeKeyedPage(i int) (string, error) {
	f := j.frames[i]
	name := filepath.Join(j.workDir, "page-"+argsHash([]string{j.frameHashes[i], fmt.Sprint(f.Boxes)})+".png")
	if _, err := os.Stat(name); err == nil {
		return name, nil
	}
	data, err := os.ReadFile(j.frameImages[i])
	if err != nil {
		return "", fmt.Errorf("remix: frame %d: %w", i, err)
	}
	img, err := keyPage(data, f.Boxes)
	if err != nil {
		return "", fmt.Errorf("remix: frame %d: %w", i, err)
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img); err != nil {
		return "", err
	}
	tmp := name + ".part"
	err = os.WriteFile(tmp, out.Bytes(), 0o644)
	return name, replaceFile(tmp, name, err)
}
