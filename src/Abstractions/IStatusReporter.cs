using System.Text.Json;

namespace RouterHost.Abstractions;

/// <summary>
/// A stage or container that reports its state for <c>routerhost show</c>: the host asks it, on the control
/// plane, to write one JSON object describing itself (a tunnel stage: its public key, listening port, and its
/// peers with endpoints, latest handshakes and transfer counters; a TUN container: the kernel's counters of its
/// device). The host shows a stage's status under the stage and a container's under its interface. Property names are lower-case words joined
/// by underscores; <c>routerhost show</c> prints them as "latest handshake: …", and prints a property whose value is
/// an array of objects (e.g. <c>peers</c>) as one block per object, headed by its first property.
/// May allocate; must not block on the data path's threads.
/// Added in contract 1.2.
/// </summary>
public interface IStatusReporter
{
    /// <summary>Writes the current status as the value of one JSON object (start and end the object).</summary>
    void WriteStatus(Utf8JsonWriter writer);
}
