package controller

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"mediapush/catalog"
)

// vodQuery reads the filters and order of Ant Media's vods/list: streamId, search, sort_by
// (date, name, duration, fileSize) and order_by (asc, desc).
func vodQuery(offset, size int, q url.Values) (catalog.VoDQuery, error) {
	vq := catalog.VoDQuery{Offset: offset, Size: size, StreamID: q.Get("streamId"), Search: q.Get("search"),
		SortBy: q.Get("sort_by")}
	if vq.StreamID != "" {
		if err := validStreamID(vq.StreamID); err != nil {
			return vq, err
		}
	}
	if len(vq.Search) > 256 {
		return vq, fmt.Errorf("search is longer than 256 bytes")
	}
	if _, ok := catalog.VoDSortFields[vq.SortBy]; vq.SortBy != "" && !ok {
		fields := make([]string, 0, len(catalog.VoDSortFields))
		for f := range catalog.VoDSortFields {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		return vq, fmt.Errorf("sort_by %q is not known: use %s", vq.SortBy, strings.Join(fields, ", "))
	}
	switch strings.ToLower(q.Get("order_by")) {
	case "", "desc":
	case "asc":
		vq.Ascending = true
	default:
		return vq, fmt.Errorf("order_by %q is not known: use asc or desc", q.Get("order_by"))
	}
	return vq, nil
}
