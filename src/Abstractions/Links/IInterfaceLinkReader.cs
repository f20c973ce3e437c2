using Microsoft.Extensions.Configuration;

namespace RouterHost.Abstractions.Links;

/// <summary>
/// An optional capability of an <see cref="IBackendPlugin"/>: reads what an interface's link will be from its
/// <c>Settings</c> alone, without touching any device, so <c>routerhost validate</c> can check MTUs across the router
/// (an interface's MTU against the tunnels its traffic may be routed into).
/// </summary>
public interface IInterfaceLinkReader
{
    /// <summary>
    /// The link <paramref name="settings"/> describe (<see cref="InterfaceLink.Mtu"/> 0 when the settings leave it to the
    /// device), or null when they are not valid. Never throws for bad settings: <see cref="IBackendPlugin.Validate"/>
    /// reports those.
    /// </summary>
    InterfaceLink? ReadLink(IConfigurationSection settings);
}
