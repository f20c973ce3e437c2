using System.Text.Json;

namespace RouterHost.Abstractions.Status;

/// <summary>
/// A stage or container that reports its state for <c>routerhost show</c>: the host asks it, on the control
/// plane, to write one JSON object describing itself (a tunnel stage: its public key, listening port, and its
/// peers with endpoints, latest handshakes and transfer counters; a TUN container: the kernel's counters of its
/// device). The host shows a stage's status under the stage and a container's under its interface.
/// <para>
/// The object is data for programs (<c>routerhost show --json</c>), not text for people: <c>routerhost show</c> does the
/// human formatting. Conventions (docs/status.md lists every reporter's fields):
/// property names are lower-case words joined by underscores; counts and byte counts are JSON integers (bytes in a
/// name ending <c>_bytes</c>); a point in time is an integer of unix seconds in a name ending <c>_unix</c> (0 = never);
/// a duration is a number of seconds in a name ending <c>_seconds</c> (0 = off); an address is a string
/// (<c>"192.0.2.1"</c>, an endpoint <c>"192.0.2.1:51820"</c> or <c>"[2001:db8::1]:51820"</c>, a prefix
/// <c>"10.0.0.0/8"</c>); a list is an array, never a joined string; related counters are grouped in an object
/// (<c>"keepalives": { "sent": 3, "received": 2 }</c>); a value that does not exist or cannot be read is <c>null</c>;
/// yes/no is a boolean. No prose, units or "ago" in values.
/// </para>
/// <para>
/// <c>routerhost show</c> prints each property as a line ("latest handshake: 12 seconds ago" for
/// <c>latest_handshake_unix</c>, "1.2 MiB" for <c>_bytes</c>, <c>rx_bytes</c> with <c>tx_bytes</c> as "transfer: …
/// received, … sent"), and a property whose value is an array of objects (e.g. <c>peers</c>) as one block per object,
/// headed by its first property.
/// </para>
/// May allocate; must not block on the data path's threads.
/// </summary>
public interface IStatusReporter
{
    /// <summary>Writes the current status as the value of one JSON object (start and end the object).</summary>
    void WriteStatus(Utf8JsonWriter writer);
}
