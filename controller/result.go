package controller

// Result is Ant Media's answer to every REST call, kept so that existing clients work unchanged.
type Result struct {
	Success bool    `json:"success"`
	Message *string `json:"message"`
	DataID  *string `json:"dataId"`
	ErrorID int     `json:"errorId"`
}

func ok(message, dataID string) Result {
	r := Result{Success: true}
	if message != "" {
		r.Message = &message
	}
	if dataID != "" {
		r.DataID = &dataID
	}
	return r
}

func failed(message, dataID string) Result {
	r := ok(message, dataID)
	r.Success = false
	r.ErrorID = -1
	return r
}
