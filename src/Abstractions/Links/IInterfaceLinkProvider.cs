namespace RouterHost.Abstractions.Links;

/// <summary>
/// An optional capability of an <see cref="IContainer"/>: it tells the router its interface's addresses and MTU as
/// the device has them, so stages can know them (<see cref="PortInfo.Addresses"/>, <see cref="PortInfo.Mtu"/>): the
/// routing stage makes connected routes of the addresses, answers for the router's own, and sends ICMP
/// fragmentation-needed / packet-too-big for packets over the MTU. A container without it has neither.
/// </summary>
public interface IInterfaceLinkProvider
{
    /// <summary>The interface's link, as configured when the container was created.</summary>
    InterfaceLink Link { get; }
}
