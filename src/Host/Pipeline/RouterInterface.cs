using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>A configured interface: its port and the container its backend built.</summary>
internal sealed record RouterInterface(string Name, PortInfo Port, string Backend, IContainer Container);
