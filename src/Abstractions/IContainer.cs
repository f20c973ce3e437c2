namespace RouterHost.Abstractions;

/// <summary>
/// A backend's device as one router interface: it owns the device's queues and shuts them down in order.
/// Optional capabilities are extra interfaces a container may implement: <see cref="IFileDescriptorAdopter"/>,
/// <see cref="Links.IInterfaceLinkProvider"/>, <see cref="Routing.IHostRouteTarget"/>, <see cref="Status.IStatusReporter"/>.
/// <para>
/// Shutdown is two-step so no thread is ever left inside a released device: <see cref="Close"/> wakes every
/// reader (each <see cref="IPacketReader.Read"/> returns false), the host joins its threads, then
/// <see cref="IDisposable.Dispose"/> releases queues (in order) and whatever the backend configured.
/// </para>
/// </summary>
public interface IContainer : IDisposable
{
    /// <summary>The interface name from configuration.</summary>
    string Name { get; }

    /// <summary>The queues, indexed by <see cref="IPacketReader.Index"/>.</summary>
    IReadOnlyList<IQueue> Queues { get; }

    /// <summary>Closes every queue for reading (see <see cref="IPacketReader.Close"/>). Idempotent.</summary>
    void Close();
}
