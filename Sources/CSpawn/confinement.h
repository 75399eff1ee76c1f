/* Private to CSpawn: the confinement step of the child (see cspawn.h, stage CONFINEMENT). */
#ifndef BERTH_CSPAWN_CONFINEMENT_H
#define BERTH_CSPAWN_CONFINEMENT_H

#include "cspawn.h"

/* Runs in the child between fork and exec: async-signal-safe system calls only, no allocation.
 * Returns 0, or a negative errno (reported as CSPAWN_STAGE_CONFINEMENT). NULL: no confinement. */
int cspawn_apply_confinement(const cspawn_confinement *confinement);

#endif
