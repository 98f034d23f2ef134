package controller

import "time"

// Defaults of Config.MixRetention and Config.IndividualRetention: how long recordings are kept.
const (
	DefaultMixRetention        = 180 * 24 * time.Hour
	DefaultIndividualRetention = 15 * 24 * time.Hour
)
