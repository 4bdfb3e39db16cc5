// Training code imports only Runtime: the types its API speaks in come with it. Only these are re-exported,
// not all of KernelIR and Backends, so generic names there (`Value`, `SourceLocation`) stay out of user code.
@_exported import protocol Backends.Buffer
@_exported import protocol Backends.Device
@_exported import protocol Backends.Executable
@_exported import enum Backends.BackendError
@_exported import struct Backends.DeviceID
@_exported import struct Backends.DeviceInfo
@_exported import class Backends.Event
@_exported import enum KernelIR.BinaryFunction
@_exported import enum KernelIR.Comparison
@_exported import struct KernelIR.Convolution
@_exported import enum KernelIR.Distribution
@_exported import enum KernelIR.DType
@_exported import struct KernelIR.Graph
@_exported import enum KernelIR.KIRError
@_exported import struct KernelIR.Module
@_exported import enum KernelIR.ReduceKind
@_exported import enum KernelIR.SafetensorsError
@_exported import struct KernelIR.SafetensorsFile
@_exported import struct KernelIR.Shape
@_exported import struct KernelIR.TensorType
@_exported import struct KernelIR.TensorValue
@_exported import enum KernelIR.UnaryFunction
