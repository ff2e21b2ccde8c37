package onnx

import (
	"context"
	"errors"
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// Default thread counts of a session: each Run uses at most two cores, so a
// server's worker pool, not ONNX Runtime, decides how many cores are busy.
const (
	DefaultIntraOpThreads = 2
	DefaultInterOpThreads = 1
)

// Options tune a session. The zero value means DefaultIntraOpThreads and
// DefaultInterOpThreads. Thread-pool spinning is always off, so idle
// sessions use no CPU.
type Options struct {
	IntraOpThreads int // threads inside one operator; 0 means DefaultIntraOpThreads
	InterOpThreads int // operators run in parallel; 0 means DefaultInterOpThreads
}

// Info describes one input or output of a model.
type Info struct {
	Name string
	// Shape holds the declared dimensions; -1 marks a dynamic one.
	Shape []int64
	// Type is the element type as onnxruntime_go names it, e.g.
	// "ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT" for float32.
	Type string
}

// Tensor is a dense float32 tensor in row-major order: len(Data) is the
// product of Shape.
type Tensor struct {
	Shape []int64
	Data  []float32
}

// Session is a model loaded once into ONNX Runtime. Its inputs may have any
// shape the model accepts (dynamic dimensions included). A Session is safe
// for concurrent use; Close must not run concurrently with Run.
type Session struct {
	name    string
	s       *ort.DynamicAdvancedSession
	inputs  []Info
	outputs []Info
}

// NewSession loads the ONNX model at path. Init must have succeeded.
func NewSession(path string, opts Options) (*Session, error) {
	so, err := sessionOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", path, err)
	}
	defer so.Destroy()
	in, out, err := ort.GetInputOutputInfoWithOptions(path, so)
	if err != nil {
		return nil, fmt.Errorf("onnx: loading %s: %w", path, err)
	}
	s, err := ort.NewDynamicAdvancedSession(path, names(in), names(out), so)
	if err != nil {
		return nil, fmt.Errorf("onnx: loading %s: %w", path, err)
	}
	return &Session{name: path, s: s, inputs: infos(in), outputs: infos(out)}, nil
}

// NewSessionFromBytes loads an ONNX model from its serialized form; name
// appears in errors. Init must have succeeded. The caller may reuse model
// after NewSessionFromBytes returns.
func NewSessionFromBytes(name string, model []byte, opts Options) (*Session, error) {
	so, err := sessionOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", name, err)
	}
	defer so.Destroy()
	in, out, err := ort.GetInputOutputInfoWithONNXData(model)
	if err != nil {
		return nil, fmt.Errorf("onnx: loading %s: %w", name, err)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(model, names(in), names(out), so)
	if err != nil {
		return nil, fmt.Errorf("onnx: loading %s: %w", name, err)
	}
	return &Session{name: name, s: s, inputs: infos(in), outputs: infos(out)}, nil
}

func sessionOptions(opts Options) (*ort.SessionOptions, error) {
	if !Initialized() {
		return nil, errors.New("ONNX Runtime is not initialized (call onnx.Init first)")
	}
	if opts.IntraOpThreads <= 0 {
		opts.IntraOpThreads = DefaultIntraOpThreads
	}
	if opts.InterOpThreads <= 0 {
		opts.InterOpThreads = DefaultInterOpThreads
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	for _, step := range []func() error{
		func() error { return so.SetIntraOpNumThreads(opts.IntraOpThreads) },
		func() error { return so.SetInterOpNumThreads(opts.InterOpThreads) },
		func() error { return so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0") },
		func() error { return so.AddSessionConfigEntry("session.inter_op.allow_spinning", "0") },
	} {
		if err := step(); err != nil {
			so.Destroy()
			return nil, err
		}
	}
	return so, nil
}

func names(in []ort.InputOutputInfo) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = v.Name
	}
	return out
}

func infos(in []ort.InputOutputInfo) []Info {
	out := make([]Info, len(in))
	for i, v := range in {
		out[i] = Info{Name: v.Name, Shape: []int64(v.Dimensions.Clone()), Type: v.DataType.String()}
	}
	return out
}

// Inputs describes the model's inputs, in the order Run takes them.
func (s *Session) Inputs() []Info { return s.inputs }

// Outputs describes the model's outputs, in the order Run returns them.
func (s *Session) Outputs() []Info { return s.outputs }

// Run runs the model on float32 inputs, given in the order of Inputs, and
// returns every output, in the order of Outputs. The inputs' data is only
// read. If ctx is done before the run ends, ONNX Runtime is asked to stop
// and Run returns ctx's error. Outputs that are not float32 are an error;
// use RunValues for them.
func (s *Session) Run(ctx context.Context, inputs ...Tensor) ([]Tensor, error) {
	if len(inputs) != len(s.inputs) {
		return nil, fmt.Errorf("onnx: %s: %d inputs given, model takes %d", s.name, len(inputs), len(s.inputs))
	}
	values := make([]ort.Value, len(inputs))
	defer func() {
		for _, v := range values {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	for i, in := range inputs {
		t, err := ort.NewTensor(ort.NewShape(in.Shape...), in.Data)
		if err != nil {
			return nil, fmt.Errorf("onnx: %s: input %s: %w", s.name, s.inputs[i].Name, err)
		}
		values[i] = t
	}
	outs, err := s.RunValues(ctx, values)
	if err != nil {
		return nil, err
	}
	result := make([]Tensor, len(outs))
	for i, v := range outs {
		if t, ok := v.(*ort.Tensor[float32]); ok {
			// GetData is a Go-owned copy that outlives Destroy.
			result[i] = Tensor{Shape: []int64(t.GetShape()), Data: t.GetData()}
		} else if err == nil {
			err = fmt.Errorf("onnx: %s: output %s is not float32 (%s)", s.name, s.outputs[i].Name, s.outputs[i].Type)
		}
		v.Destroy()
	}
	if err != nil {
		return nil, err
	}
	return result, nil
}

// RunValues runs the model on inputs of any type, given in the order of
// Inputs, and returns newly allocated outputs in the order of Outputs; the
// caller must Destroy them. Cancellation is as for Run.
func (s *Session) RunValues(ctx context.Context, inputs []ort.Value) ([]ort.Value, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(inputs) != len(s.inputs) {
		return nil, fmt.Errorf("onnx: %s: %d inputs given, model takes %d", s.name, len(inputs), len(s.inputs))
	}
	outputs := make([]ort.Value, len(s.outputs))
	var ro *ort.RunOptions
	if ctx.Done() != nil {
		var err error
		if ro, err = ort.NewRunOptions(); err != nil {
			return nil, fmt.Errorf("onnx: %s: %w", s.name, err)
		}
		defer ro.Destroy()
		terminated := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(terminated)
			ro.Terminate()
		})
		defer func() {
			// Terminate may be running: wait for it before ro is destroyed.
			if !stop() {
				<-terminated
			}
		}()
	}
	if err := s.s.RunWithOptions(inputs, outputs, ro); err != nil {
		for _, v := range outputs {
			if v != nil {
				v.Destroy()
			}
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("onnx: %s: %w", s.name, err)
	}
	return outputs, nil
}

// Close releases the session. The Session must not be used afterwards.
func (s *Session) Close() error {
	return s.s.Destroy()
}
