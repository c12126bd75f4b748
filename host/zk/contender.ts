// The master contender (mesos-spec §2.3): joins the group once with its MasterInfo JSON under
// the "json.info" label. contend() resolves once the candidacy exists; the candidacy promise
// it returns settles when the candidacy is lost (znode gone or session expired) or withdrawn.
// Contending again while a join is pending returns that same join.
import { masterInfoJson, type MasterInfo } from "../master/info.ts";
import { MASTER_LABEL } from "./detector.ts";
import type { Group, Membership } from "./group.ts";

export interface Candidacy {
  membership: Membership;
  /** Settles when the candidacy ends: true when withdrawn, false when lost. */
  ended: Promise<boolean>;
}

export class MasterContender {
  private joining: Promise<Candidacy> | null = null;
  private candidacy: Candidacy | null = null;

  constructor(private readonly group: Group, private readonly info: MasterInfo) {}

  contend(): Promise<Candidacy> {
    if (this.joining !== null) return this.joining;
    this.group.start();
    this.joining = this.group.join(Buffer.from(masterInfoJson(this.info)), MASTER_LABEL).then(({ membership, cancelled }) => {
      const candidacy = { membership, ended: cancelled };
      this.candidacy = candidacy;
      void cancelled.then(() => {
        if (this.candidacy === candidacy) {
          this.candidacy = null;
          this.joining = null;
        }
      });
      return candidacy;
    });
    this.joining.catch(() => (this.joining = null));
    return this.joining;
  }

  /** Removes the candidacy's znode (a clean stop lets a standby lead at once). */
  async withdraw(): Promise<void> {
    const candidacy = this.candidacy ?? (this.joining ? await this.joining.catch(() => null) : null);
    if (candidacy) await this.group.cancel(candidacy.membership);
  }
}
