'use client';
import { cn, Menu, MenuLink } from '@koukan/ui';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

interface NavLink {
  href: string;
  label: string;
}

const isActive = (href: string, pathname: string) =>
  href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);

/**
 * The main navigation: the daily pages as links, the configuration pages in one menu (so the
 * header fits one line at 1280 px).
 */
export function NavLinks({
  links,
  menu,
}: {
  links: NavLink[];
  menu: { label: string; links: NavLink[] };
}) {
  const pathname = usePathname();
  const menuActive = menu.links.some((l) => isActive(l.href, pathname));
  return (
    <nav aria-label="Main">
      <ul className="flex flex-wrap items-center gap-1">
        {links.map((l) => {
          const active = isActive(l.href, pathname);
          return (
            <li key={l.href}>
              <Link
                href={l.href}
                aria-current={active ? 'page' : undefined}
                className={cn(
                  'rounded-md px-2.5 py-1.5 text-sm text-muted hover:bg-surface-2 hover:text-fg',
                  active && 'bg-surface-2 font-medium text-fg',
                )}
              >
                {l.label}
              </Link>
            </li>
          );
        })}
        <li>
          <Menu label={menu.label} active={menuActive}>
            {menu.links.map((l) => {
              const active = isActive(l.href, pathname);
              return (
                <MenuLink key={l.href} active={active}>
                  <Link href={l.href} aria-current={active ? 'page' : undefined}>
                    {l.label}
                  </Link>
                </MenuLink>
              );
            })}
          </Menu>
        </li>
      </ul>
    </nav>
  );
}
