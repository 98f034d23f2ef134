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

// failed is a failure as current Ant Media answers one: message and dataId are strings ("" when
// there is nothing to say), errorId is 0.
func failed(message, dataID string) Result {
	return Result{Success: false, Message: &message, DataID: &dataID}
}
