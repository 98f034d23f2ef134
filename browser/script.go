package browser

import (
	"context"
	"strings"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// addScript has script run in every document the tab loads, before the document's own.
func (t *Tab) addScript(ctx context.Context, script string) error {
	ctx, stop := t.bind(ctx)
	defer stop()
	_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: script})
	return err
}

// exceptionText is an uncaught exception's message without its stack.
func exceptionText(ex *runtime.ExceptionDetails) string {
	msg := ex.Text
	if ex.Exception != nil && ex.Exception.Description != "" {
		msg = ex.Exception.Description
	}
	if i := strings.Index(msg, "\n    at "); i > 0 { // keep the message, drop the stack
		msg = msg[:i]
	}
	return msg
}
