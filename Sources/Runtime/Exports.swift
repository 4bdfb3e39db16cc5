// Training code imports only Runtime: the device protocol (Backends) and the IR's value types (KernelIR:
// DType, Shape, TensorType, TensorValue, SafetensorsFile) are part of its API, so they come with it.
@_exported import Backends
@_exported import KernelIR
