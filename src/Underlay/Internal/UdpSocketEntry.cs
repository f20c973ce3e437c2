namespace RouterHost.Underlay.Internal;

/// <summary>One UDP socket as the kernel lists it in <c>/proc/net/udp</c> or <c>/proc/net/udp6</c>.</summary>
/// <param name="Local">Its bound address and port (no scope id: the table has none).</param>
/// <param name="Uid">The user that owns it.</param>
/// <param name="Inode">Its inode, which <c>/proc/PID/fd/N</c> of the process holding it links to as <c>socket:[INODE]</c>.</param>
internal readonly record struct UdpSocketEntry(UdpEndpoint Local, uint Uid, ulong Inode);
