package recorder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
)

// EBML / Matroska element IDs used by Repair.
const (
	idEBML           = 0x1A45DFA3
	idSegment        = 0x18538067
	idTracks         = 0x1654AE6B
	idCluster        = 0x1F43B675
	idTimecode       = 0xE7
	idSilentTracks   = 0x5854
	idPosition       = 0xA7
	idPrevSize       = 0xAB
	idSimpleBlock    = 0xA3
	idBlockGroup     = 0xA0
	idEncryptedBlock = 0xAF
	idVoid           = 0xEC
	idCRC32          = 0xBF
)

func isClusterChild(id uint32) bool {
	switch id {
	case idTimecode, idSilentTracks, idPosition, idPrevSize, idSimpleBlock,
		idBlockGroup, idEncryptedBlock, idVoid, idCRC32:
		return true
	}
	return false
}

// elem is a parsed element header.
type elem struct {
	id      uint32
	size    int64 // -1: unknown
	pos     int64 // offset of the ID
	hdrLen  int64 // ID + size field
	sizeLen int
}

func (e elem) dataStart() int64 { return e.pos + e.hdrLen }
func (e elem) end() int64       { return e.pos + e.hdrLen + e.size } // only for known sizes

var errBadElement = errors.New("invalid or incomplete element")

// readElem parses the element header at pos. It fails when the header is
// cut by the end of the file or is not valid EBML.
func readElem(r io.ReaderAt, fileSize, pos int64) (elem, error) {
	var buf [12]byte
	n, _ := r.ReadAt(buf[:min(int64(len(buf)), max(fileSize-pos, 0))], pos)
	b := buf[:n]
	if len(b) == 0 || b[0] == 0 {
		return elem{}, errBadElement
	}
	idLen := bits.LeadingZeros8(b[0]) + 1
	if idLen > 4 || len(b) < idLen+1 || b[idLen] == 0 {
		return elem{}, errBadElement
	}
	sizeLen := bits.LeadingZeros8(b[idLen]) + 1
	if len(b) < idLen+sizeLen {
		return elem{}, errBadElement
	}
	var id uint32
	for _, c := range b[:idLen] {
		id = id<<8 | uint32(c)
	}
	size := uint64(b[idLen] & (0xFF >> sizeLen))
	for _, c := range b[idLen+1 : idLen+sizeLen] {
		size = size<<8 | uint64(c)
	}
	e := elem{id: id, size: int64(size), pos: pos, hdrLen: int64(idLen + sizeLen), sizeLen: sizeLen}
	if size == 1<<(7*sizeLen)-1 {
		e.size = -1
	} else if size > 1<<62 {
		return elem{}, errBadElement
	}
	return e, nil
}

// Repair makes a Matroska file left behind by a killed Writer finalizable:
// it walks the EBML structure and truncates the file after the last
// complete SimpleBlock (or BlockGroup). The Segment and Cluster sizes
// written by a Writer are "unknown", so nothing else needs fixing; known
// sizes that the truncation invalidates are rewritten as unknown. An intact
// file is left untouched. Repair fails when the file holds no complete
// track header or no complete media block.
func Repair(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("recorder: repair: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("recorder: repair: %w", err)
	}
	n := fi.Size()
	if n == 0 {
		return fmt.Errorf("recorder: repair %s: file is empty (nothing to recover)", path)
	}

	head, err := readElem(f, n, 0)
	if err != nil || head.id != idEBML || head.size < 0 {
		var magic [4]byte
		m, _ := f.ReadAt(magic[:], 0)
		if m < 4 && bytes.HasPrefix([]byte{0x1A, 0x45, 0xDF, 0xA3}, magic[:m]) {
			return fmt.Errorf("recorder: repair %s: file ends inside its EBML header (nothing to recover)", path)
		}
		return fmt.Errorf("recorder: repair %s: not a Matroska file", path)
	}
	seg, err := readElem(f, n, head.end())
	if err != nil || seg.id != idSegment {
		if head.end() > n {
			return fmt.Errorf("recorder: repair %s: file ends inside its EBML header (nothing to recover)", path)
		}
		return fmt.Errorf("recorder: repair %s: file ends before its Segment starts (nothing to recover)", path)
	}
	segEnd := n
	if seg.size >= 0 && seg.end() < n {
		segEnd = seg.end()
	}

	var (
		tracksEnd int64  = -1 // end of the first complete Tracks element
		lastGood  int64  = -1 // end of the last complete block
		lastClust elem        // cluster holding it
		clean     = true      // every element up to segEnd is complete
	)
	p := seg.dataStart()
walk:
	for p < segEnd {
		e, err := readElem(f, n, p)
		if err != nil {
			clean = false
			break
		}
		if e.id != idCluster {
			if e.size < 0 || e.end() > segEnd {
				clean = false
				break
			}
			if e.id == idTracks && tracksEnd < 0 {
				tracksEnd = e.end()
			}
			p = e.end()
			continue
		}
		cEnd := segEnd
		if e.size >= 0 {
			cEnd = e.end()
		}
		q := e.dataStart()
		for q < min(cEnd, n) {
			c, err := readElem(f, n, q)
			if err != nil {
				clean = false
				break walk
			}
			if !isClusterChild(c.id) {
				if e.size >= 0 {
					clean = false // garbage inside a sized cluster
					break walk
				}
				break // an unknown-sized cluster ends at the next top-level element
			}
			if c.size < 0 || c.end() > n {
				clean = false
				break walk
			}
			if (c.id == idSimpleBlock || c.id == idBlockGroup) && c.size >= 4 {
				lastGood, lastClust = c.end(), e
			}
			q = c.end()
		}
		if q < cEnd && q >= n {
			clean = false // a sized cluster cut by the end of the file
			break
		}
		p = q
	}

	if tracksEnd < 0 {
		return fmt.Errorf("recorder: repair %s: file ends before its track header is complete (nothing to recover)", path)
	}
	if lastGood < 0 {
		return fmt.Errorf("recorder: repair %s: no complete media block (nothing to recover)", path)
	}
	if clean {
		return nil
	}
	// Matroska allows the Tracks after the first Cluster; cutting before them would leave
	// blocks that no track describes.
	if tracksEnd > lastGood {
		return fmt.Errorf("recorder: repair %s: the track header comes after the last complete media block (nothing to recover)", path)
	}
	if err := f.Truncate(lastGood); err != nil {
		return fmt.Errorf("recorder: repair: %w", err)
	}
	for _, e := range []elem{seg, lastClust} {
		if e.size >= 0 && e.end() != lastGood {
			if err := markSizeUnknown(f, e); err != nil {
				return fmt.Errorf("recorder: repair: %w", err)
			}
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("recorder: repair: %w", err)
	}
	return nil
}

// markSizeUnknown rewrites the size field of e as "unknown", keeping its
// length.
func markSizeUnknown(f *os.File, e elem) error {
	b := make([]byte, e.sizeLen)
	for i := range b {
		b[i] = 0xFF
	}
	b[0] = 0xFF >> (e.sizeLen - 1)
	_, err := f.WriteAt(b, e.pos+e.hdrLen-int64(e.sizeLen))
	return err
}
