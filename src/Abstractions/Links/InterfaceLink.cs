namespace RouterHost.Abstractions.Links;

/// <summary>
/// What an interface's link looks like to the router: its addresses (each one also a connected prefix), who answers
/// for them, and the largest IP packet it carries.
/// </summary>
/// <param name="Addresses">The interface's addresses with their prefix lengths.</param>
/// <param name="Owner">Whether the router or the host's stack behind the device answers for the addresses.</param>
/// <param name="Mtu">The largest IP packet the interface carries, in bytes; 0 when unknown.</param>
public sealed record InterfaceLink(IReadOnlyList<InterfaceAddress> Addresses, InterfaceAddressOwner Owner, int Mtu);
