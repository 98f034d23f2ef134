// Package remix renders a room's raw recording (package raw) through a layout page into a
// new recording, after the call and faster than it lasted.
//
// The layout page decides where everything goes; it is driven scene by scene on the
// recording's clock rather than played in real time. A scene is the room as it stands
// between two changes (a join, a leave, a new active speaker). For each scene the page is
// shown the participants through room.js's remix mode, which gives each a placeholder
// picture of the key colour at the publication's size; the page lays them out as it would
// live, and its screenshot, with the places of the placeholders, is the scene's Frame.
// Rendering then composites each participant's own frames, decoded from the raw files at
// their times, under the screenshot with the key colour taken out: the page's names,
// borders and backgrounds stay where the page drew them, over or around the pictures. Audio
// is the participants' own, mixed on the same clock. Nothing waits for wall time: the speed
// is what ffmpeg can decode, composite and encode.
package remix
