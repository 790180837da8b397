import { packageBuild } from "../../tooling/tsdown.shared.ts"

export default packageBuild()
