package signalling

import "github.com/pion/webrtc/v4"

// relayFrom passes what a publisher sends on its data channel to those who play it: the
// other participants of its room (on the channel of their room's play) and the players of its
// stream. Text stays text and binary binary, as the SDK reads both.
func (s *Server) relayFrom(pub *publication, dc *webrtc.DataChannel) {
	dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		s.notice(pub, msg.Data, msg.IsString)
		s.mu.Lock()
		var to []*play
		for p := range s.plays {
			if p.conn == pub.conn || p.player == nil {
				continue
			}
			if (p.room && pub.room != "" && p.target == pub.room && !p.exclude[pub.id]) || (!p.room && p.target == pub.id) {
				to = append(to, p)
			}
		}
		s.mu.Unlock()
		for _, p := range to {
			p.player.Send(msg.Data, msg.IsString)
		}
	})
}
