// `--unit kubelite` names no unit systemd knows: the snap's units are snap.microk8s.daemon-*. The
// fix names the unit meant, by the name the long output and people use.
import { MICROK8S_SERVICES, serviceUnit } from './sources/snap-locks.ts';

/** Why a unit systemd does not know is not judged, with the fix where a MicroK8s service was meant. */
export function missingUnit(id: string): string {
  const bare = id.replace(/\.service$/, '');
  const fix = MICROK8S_SERVICES.includes(bare) ? ` (fix: MicroK8s' ${bare} is --unit ${serviceUnit(bare)})` : '';
  return `unit ${id} does not exist on this host${fix}`;
}
